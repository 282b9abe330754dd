"""The search's GET parameters: parsed, validated and turned back into links."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import pycountry

from app import vocab
from app.services.query import parse_query

SORTS = ("relevance", "newest", "updated", "title")
FACETS = ("country", "vendor", "capability", "status", "oversight", "verification")
FACET_LIMIT = 25
MAX_PAGE = 10_000
YEAR_RANGE = (1900, 2100)
MULTI_VALUED = ("country", "vendor", "capability", "status", "oversight", "verification")

VOCAB_FIELDS: dict[str, tuple[vocab.Term, ...]] = {
    "capability": vocab.CAPABILITIES,
    "status": vocab.LIFECYCLE_STATUSES,
    "oversight": vocab.OVERSIGHT_STATUSES,
    "verification": vocab.VERIFICATIONS,
}
LABELS: dict[str, dict[str, str]] = {
    name: {t.key: t.label for t in terms} for name, terms in VOCAB_FIELDS.items()
}


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    country: tuple[str, ...] = ()
    vendor: tuple[str, ...] = ()
    capability: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    oversight: tuple[str, ...] = ()
    verification: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    sort: str = ""
    page: int = 1

    def query_items(self, **changes: Any) -> list[tuple[str, str]]:
        """GET parameters for a link to this search (defaults left out), with changes applied."""
        params: SearchParams = replace(self, **changes) if changes else self
        items: list[tuple[str, str]] = []
        if params.q:
            items.append(("q", params.q))
        for name in MULTI_VALUED:
            items.extend((name, value) for value in getattr(params, name))
        for name in ("year_from", "year_to"):
            value = getattr(params, name)
            if value is not None:
                items.append((name, str(value)))
        if params.sort:
            items.append(("sort", params.sort))
        if params.page != 1:
            items.append(("page", str(params.page)))
        return items

    def toggled(self, facet: str, value: str) -> SearchParams:
        """The same search with one facet value added or removed, back on page 1."""
        current: tuple[str, ...] = getattr(self, facet)
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        changes: dict[str, Any] = {facet: values, "page": 1}
        return replace(self, **changes)

    @property
    def effective_sort(self) -> str:
        if self.sort:
            return self.sort
        return "relevance" if parse_query(self.q).positive else "newest"

    @property
    def is_filtered(self) -> bool:
        return bool(self.query_items(sort="", page=1))


def parse_params(raw: Iterable[tuple[str, str]]) -> tuple[SearchParams, dict[str, str]]:
    """GET parameters to SearchParams; bad values are dropped and explained per field."""
    errors: dict[str, str] = {}
    multi: dict[str, list[str]] = {name: [] for name in MULTI_VALUED}
    single: dict[str, str] = {}
    for name, value in raw:
        value = value.replace("\x00", "").strip()
        if name in multi:
            if value and value not in multi[name]:
                multi[name].append(value)
        elif name in ("q", "year_from", "year_to", "sort", "page"):
            single[name] = value
    multi["country"] = _valid(multi["country"], "country", errors, _country_code)
    for name, terms in VOCAB_FIELDS.items():
        known = vocab.keys(terms)
        multi[name] = _valid(multi[name], name, errors, lambda v, k=known: v if v in k else None)
    vendor_slugs = [v.lower() for v in multi["vendor"]]
    year_from = _year(single.get("year_from", ""), "year_from", errors)
    year_to = _year(single.get("year_to", ""), "year_to", errors)
    if year_from is not None and year_to is not None and year_from > year_to:
        errors["year_to"] = f"“To” ({year_to}) is before “from” ({year_from})."
        year_to = None
    sort = single.get("sort", "")
    if sort and sort not in SORTS:
        errors["sort"] = f"Sort by one of: {', '.join(SORTS)}."
        sort = ""
    page = 1
    if single.get("page"):
        raw_page = single["page"]
        if raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE:
            page = int(raw_page)
        else:
            errors["page"] = f"Page must be a whole number from 1 to {MAX_PAGE}."
    params = SearchParams(
        q=single.get("q", "")[:2000],
        country=tuple(multi["country"]),
        vendor=tuple(vendor_slugs),
        capability=tuple(multi["capability"]),
        status=tuple(multi["status"]),
        oversight=tuple(multi["oversight"]),
        verification=tuple(multi["verification"]),
        year_from=year_from,
        year_to=year_to,
        sort=sort,
        page=page,
    )
    return params, errors


def _valid(values: list[str], name: str, errors: dict[str, str], check: Any) -> list[str]:
    good: list[str] = []
    bad: list[str] = []
    for value in values:
        checked = check(value)
        (good if checked else bad).append(checked or value)
    if bad:
        shown = ", ".join(f"“{v[:40]}”" for v in bad[:3])
        errors[name] = f"Unknown {name.replace('_', ' ')}: {shown}. Pick one from the list."
    return good


def _country_code(value: str) -> str | None:
    code = value.upper()
    return code if len(code) == 2 and pycountry.countries.get(alpha_2=code) else None


def _year(value: str, name: str, errors: dict[str, str]) -> int | None:
    if not value:
        return None
    if value.isdigit() and len(value) == 4 and YEAR_RANGE[0] <= int(value) <= YEAR_RANGE[1]:
        return int(value)
    errors[name] = (
        f"Enter a year as four digits between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}, e.g. 2019."
    )
    return None
