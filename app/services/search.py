"""Search and facets over published deployments: one function the pages, the API and exports share.

Full text runs on FTS5 (SQLite, ranked by bm25) or a tsvector with a GIN index (PostgreSQL,
ranked by ts_rank_cd); both hold the same folded tokens (app/search_index.py), so the same
query finds the same records on either backend.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pycountry
from sqlalchemy import ColumnElement, Select, func, literal_column, or_, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app import vocab
from app.models import Capability, Deployment, DeploymentCapability, DeploymentVendor, Vendor
from app.search_index import SQLITE_WEIGHTS, country_name
from app.services.query import ParsedQuery, Term, fts5_expression, parse_query, tsquery_expression
from app.text import tokens

SORTS = ("relevance", "newest", "updated", "title")
FACETS = ("country", "vendor", "capability", "status", "oversight", "verification")
FACET_LIMIT = 25
MAX_PAGE = 10_000
YEAR_RANGE = (1900, 2100)
_MULTI = ("country", "vendor", "capability", "status", "oversight", "verification")

_VOCAB_FIELDS: dict[str, tuple[vocab.Term, ...]] = {
    "capability": vocab.CAPABILITIES,
    "status": vocab.LIFECYCLE_STATUSES,
    "oversight": vocab.OVERSIGHT_STATUSES,
    "verification": vocab.VERIFICATIONS,
}
_LABELS: dict[str, dict[str, str]] = {
    name: {t.key: t.label for t in terms} for name, terms in _VOCAB_FIELDS.items()
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
        for name in _MULTI:
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


@dataclass(frozen=True)
class DeploymentCard:
    id: int
    slug: str
    title: str
    summary_excerpt: str
    country: str
    country_name: str
    city: str | None
    status: str
    status_label: str
    oversight_status: str
    oversight_label: str
    verification: str
    first_year: int | None
    updated_at: datetime
    is_demo: bool
    vendors: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class SearchResult:
    params: SearchParams
    total: int
    page: int
    pages: int
    per_page: int
    cards: list[DeploymentCard]
    facets: dict[str, list[FacetValue]]
    notes: list[str]
    suggestion: str | None
    errors: dict[str, str]


# --- parsing ----------------------------------------------------------------------------------


def parse_params(raw: Iterable[tuple[str, str]]) -> tuple[SearchParams, dict[str, str]]:
    """GET parameters to SearchParams; bad values are dropped and explained per field."""
    errors: dict[str, str] = {}
    multi: dict[str, list[str]] = {name: [] for name in _MULTI}
    single: dict[str, str] = {}
    for name, value in raw:
        value = value.replace("\x00", "").strip()
        if name in multi:
            if value and value not in multi[name]:
                multi[name].append(value)
        elif name in ("q", "year_from", "year_to", "sort", "page"):
            single[name] = value
    multi["country"] = _valid(multi["country"], "country", errors, _country_code)
    for name, terms in _VOCAB_FIELDS.items():
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


# --- querying ---------------------------------------------------------------------------------


def search(
    *, session: Session, params: SearchParams, per_page: int = 20, with_facets: bool = True
) -> SearchResult:
    parsed = parse_query(params.q)
    notes = list(parsed.notes)
    errors: dict[str, str] = {}
    vendor_ids = _vendor_ids(session, params.vendor, errors)
    if errors:
        params = replace(params, vendor=tuple(s for s in params.vendor if s in vendor_ids))
    conditions = _conditions(session, params, parsed, vendor_ids)
    try:
        total = session.execute(
            select(func.count()).select_from(Deployment).where(*conditions.all())
        ).scalar_one()
        pages = max(1, math.ceil(total / per_page))
        if params.page > pages and total:
            plural = "s" if pages > 1 else ""
            notes.append(f"This search has {pages} page{plural}; page {params.page} is empty.")
        cards = _cards(session, params, parsed, conditions, per_page)
        facets = _facets(session, params, conditions) if with_facets else {}
    except DBAPIError:
        # Defence in depth: terms are compiled from letters and digits only, but whatever the
        # database refuses must still give the person an answer, not an error page.
        session.rollback()
        notes.append("This search could not be run; try simpler words.")
        total, pages, cards, facets = 0, 1, [], {}
    suggestion = _suggest(session, parsed) if total == 0 and parsed.positive else None
    return SearchResult(
        params=params,
        total=total,
        page=params.page,
        pages=pages,
        per_page=per_page,
        cards=cards,
        facets=facets,
        notes=notes,
        suggestion=suggestion,
        errors=errors,
    )


def _vendor_ids(session: Session, slugs: Sequence[str], errors: dict[str, str]) -> dict[str, int]:
    if not slugs:
        return {}
    rows = session.execute(select(Vendor.slug, Vendor.id).where(col(Vendor.slug).in_(slugs))).all()
    found = {slug: vid for slug, vid in rows if vid is not None}
    missing = [s for s in slugs if s not in found]
    if missing:
        shown = ", ".join(f"“{s[:40]}”" for s in missing[:3])
        errors["vendor"] = f"Unknown vendor: {shown}. Pick one from the list."
    return found


@dataclass
class _Conditions:
    """WHERE clauses by facet, so each facet can be counted without its own filter."""

    base: list[ColumnElement[bool]]
    by_facet: dict[str, ColumnElement[bool]]
    score: Any = None  # a subquery (id, score) when the query has positive terms

    def all(self, *, without: str | None = None, matched: bool = True) -> list[ColumnElement[bool]]:
        """Every clause but one facet's; matched=False leaves out the full-text match for a
        caller that joins the scored matches instead."""
        match = (
            [col(Deployment.id).in_(select(self.score.c.id))]
            if matched and self.score is not None
            else []
        )
        return [*self.base, *match, *(c for name, c in self.by_facet.items() if name != without)]


def _conditions(
    session: Session, params: SearchParams, parsed: ParsedQuery, vendor_ids: dict[str, int]
) -> _Conditions:
    base: list[ColumnElement[bool]] = [col(Deployment.state) == "published"]
    by_facet: dict[str, ColumnElement[bool]] = {}
    if params.country:
        by_facet["country"] = col(Deployment.country).in_(params.country)
    if params.status:
        by_facet["status"] = col(Deployment.status).in_(params.status)
    if params.oversight:
        by_facet["oversight"] = col(Deployment.oversight_status).in_(params.oversight)
    if params.verification:
        by_facet["verification"] = col(Deployment.verification).in_(params.verification)
    if params.vendor and vendor_ids:
        by_facet["vendor"] = col(Deployment.id).in_(
            select(DeploymentVendor.deployment_id).where(
                col(DeploymentVendor.vendor_id).in_(vendor_ids.values())
            )
        )
    if params.capability:
        keys = set().union(*(vocab.capability_with_descendants(k) for k in params.capability))
        by_facet["capability"] = col(Deployment.id).in_(
            select(DeploymentCapability.deployment_id).where(
                col(DeploymentCapability.capability_key).in_(sorted(keys))
            )
        )
    if params.year_from is not None:
        base.append(
            or_(
                col(Deployment.ended_year).is_(None), col(Deployment.ended_year) >= params.year_from
            )
        )
        base.append(col(Deployment.first_year).is_not(None))
    if params.year_to is not None:
        base.append(col(Deployment.first_year) <= params.year_to)
    dialect = session.get_bind().dialect.name
    score = None
    if parsed.positive:
        score = _match_subquery(dialect, parsed.positive)
    if parsed.negative:
        excluded = _match_subquery(dialect, parsed.negative, any_of=True)
        base.append(col(Deployment.id).not_in(select(excluded.c.id)))
    return _Conditions(base=base, by_facet=by_facet, score=score)


def _match_subquery(dialect: str, terms: tuple[Term, ...], *, any_of: bool = False) -> Any:
    name = "excluded_terms" if any_of else "matched_terms"  # distinct binds for the two subqueries
    if dialect == "sqlite":
        expression = fts5_expression(terms, joiner=" OR " if any_of else " ")
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        return (
            select(
                literal_column("rowid").label("id"),
                literal_column(f"bm25(deployment_fts, {weights})").label("score"),
            )
            .select_from(text("deployment_fts"))
            .where(text(f"deployment_fts MATCH :{name}").bindparams(**{name: expression}))
            .subquery()
        )
    expression = tsquery_expression(terms, joiner=" | " if any_of else " & ")
    query = text(f"CAST(:{name} AS tsquery)").bindparams(**{name: expression})
    return (
        select(
            literal_column("deployment_id").label("id"),
            (-func.ts_rank_cd(literal_column("document"), query)).label("score"),
        )
        .select_from(text("deployment_search"))
        .where(literal_column("document").op("@@")(query))
        .subquery()
    )


def _ordered(stmt: Select[Any], params: SearchParams, conditions: _Conditions) -> Select[Any]:
    sort = params.effective_sort
    if sort == "relevance" and conditions.score is not None:
        stmt = stmt.join(conditions.score, conditions.score.c.id == Deployment.id)
        return stmt.order_by(conditions.score.c.score, col(Deployment.id).desc())
    if sort == "updated":
        return stmt.order_by(col(Deployment.updated_at).desc(), col(Deployment.id).desc())
    if sort == "title":
        return stmt.order_by(col(Deployment.title_sort), col(Deployment.id))
    return stmt.order_by(col(Deployment.id).desc())


def _cards(
    session: Session,
    params: SearchParams,
    parsed: ParsedQuery,
    conditions: _Conditions,
    per_page: int,
) -> list[DeploymentCard]:
    # Ranked by relevance, the join to the scored matches does the full-text filtering.
    joined = params.effective_sort == "relevance" and conditions.score is not None
    stmt: Select[Any] = select(Deployment).where(*conditions.all(matched=not joined))
    stmt = _ordered(stmt, params, conditions).limit(per_page).offset((params.page - 1) * per_page)
    deployments = list(session.execute(stmt).scalars())
    ids = [d.id for d in deployments if d.id is not None]
    vendors = _names_by_deployment(
        session,
        select(DeploymentVendor.deployment_id, Vendor.name)
        .join(Vendor, col(Vendor.id) == DeploymentVendor.vendor_id)
        .where(col(DeploymentVendor.deployment_id).in_(ids))
        .order_by(col(Vendor.name)),
    )
    capabilities = _names_by_deployment(
        session,
        select(DeploymentCapability.deployment_id, Capability.label)
        .join(Capability, col(Capability.key) == DeploymentCapability.capability_key)
        .where(col(DeploymentCapability.deployment_id).in_(ids))
        .order_by(col(Capability.position)),
    )
    return [
        _card(d, vendors.get(d.id or 0, []), capabilities.get(d.id or 0, [])) for d in deployments
    ]


def _names_by_deployment(session: Session, stmt: Any) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for deployment_id, name in session.execute(stmt):
        if name not in names.setdefault(deployment_id, []):
            names[deployment_id].append(name)
    return names


def _card(d: Deployment, vendors: list[str], capabilities: list[str]) -> DeploymentCard:
    assert d.id is not None
    return DeploymentCard(
        id=d.id,
        slug=d.slug,
        title=d.title,
        summary_excerpt=excerpt(d.summary),
        country=d.country,
        country_name=country_name(d.country),
        city=d.city,
        status=d.status,
        status_label=_LABELS["status"].get(d.status, d.status),
        oversight_status=d.oversight_status,
        oversight_label=_LABELS["oversight"].get(d.oversight_status, d.oversight_status),
        verification=d.verification,
        first_year=d.first_year,
        updated_at=d.updated_at,
        is_demo=d.is_demo,
        vendors=vendors,
        capabilities=capabilities,
    )


def excerpt(summary: str, limit: int = 240) -> str:
    flat = " ".join(summary.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


# --- facets -----------------------------------------------------------------------------------


def _facets(
    session: Session, params: SearchParams, conditions: _Conditions
) -> dict[str, list[FacetValue]]:
    facets: dict[str, list[FacetValue]] = {}
    columns = {
        "country": Deployment.country,
        "status": Deployment.status,
        "oversight": Deployment.oversight_status,
        "verification": Deployment.verification,
    }
    for name, column in columns.items():
        rows = session.execute(
            select(col(column), func.count())
            .where(*conditions.all(without=name))
            .group_by(col(column))
        ).all()
        counts = {value: count for value, count in rows}
        facets[name] = _facet_values(name, counts, getattr(params, name))
    facets["vendor"] = _vendor_facet(session, params, conditions)
    facets["capability"] = _capability_facet(session, params, conditions)
    return {name: facets[name] for name in FACETS}


def _facet_values(name: str, counts: dict[str, int], selected: Sequence[str]) -> list[FacetValue]:
    if name in _LABELS:  # vocabularies keep their own order, so the list does not jump about
        order = [t.key for t in _VOCAB_FIELDS[name]]
        keys = [k for k in order if counts.get(k) or k in selected]
        labels = _LABELS[name]
    else:
        keys = sorted(counts, key=lambda k: (-counts[k], k))[:FACET_LIMIT]
        keys += [k for k in selected if k not in keys]
        labels = {k: country_name(k) for k in keys}
    return [FacetValue(k, labels.get(k, k), counts.get(k, 0), k in selected) for k in keys]


def _matching_ids(conditions: _Conditions, without: str) -> Select[Any]:
    return select(Deployment.id).where(*conditions.all(without=without))


def _vendor_facet(
    session: Session, params: SearchParams, conditions: _Conditions
) -> list[FacetValue]:
    count = func.count(func.distinct(DeploymentVendor.deployment_id))
    rows = session.execute(
        select(Vendor.slug, Vendor.name, count)
        .join(DeploymentVendor, col(DeploymentVendor.vendor_id) == Vendor.id)
        .where(col(DeploymentVendor.deployment_id).in_(_matching_ids(conditions, "vendor")))
        .group_by(col(Vendor.id), col(Vendor.slug), col(Vendor.name))
        .order_by(count.desc(), col(Vendor.name))
        .limit(FACET_LIMIT)
    ).all()
    values = [FacetValue(slug, name, n, slug in params.vendor) for slug, name, n in rows]
    missing = [s for s in params.vendor if s not in {v.value for v in values}]
    if missing:
        for slug, name in session.execute(
            select(Vendor.slug, Vendor.name).where(col(Vendor.slug).in_(missing))
        ):
            values.append(FacetValue(slug, name, 0, True))
    return values


def _capability_facet(
    session: Session, params: SearchParams, conditions: _Conditions
) -> list[FacetValue]:
    matching = _matching_ids(conditions, "capability")
    direct = dict(
        session.execute(
            select(
                DeploymentCapability.capability_key,
                func.count(func.distinct(DeploymentCapability.deployment_id)),
            )
            .where(col(DeploymentCapability.deployment_id).in_(matching))
            .group_by(col(DeploymentCapability.capability_key))
        ).all()
    )
    # A parent counts every deployment that has it or any of its children.
    parents = {t.parent for t in vocab.CAPABILITIES if t.parent}
    for parent in parents:
        if any(direct.get(k) for k in vocab.capability_with_descendants(parent)):
            direct[parent] = _parent_count(session, matching, parent)
    values: list[FacetValue] = []
    for term in vocab.CAPABILITIES:
        count = direct.get(term.key, 0)
        if count or term.key in params.capability:
            label = term.label if term.parent is None else f"– {term.label}"
            values.append(FacetValue(term.key, label, count, term.key in params.capability))
    return values


def _parent_count(session: Session, matching: Select[Any], key: str) -> int:
    keys = sorted(vocab.capability_with_descendants(key))
    return int(
        session.execute(
            select(func.count(func.distinct(DeploymentCapability.deployment_id))).where(
                col(DeploymentCapability.deployment_id).in_(matching),
                col(DeploymentCapability.capability_key).in_(keys),
            )
        ).scalar_one()
    )


# --- did you mean -----------------------------------------------------------------------------


def _suggest(session: Session, parsed: ParsedQuery) -> str | None:
    """A corrected query built from names the catalog knows (vendors, places, capabilities)."""
    known = _known_words(session)
    changed = False
    terms: list[Term] = []
    for term in parsed.terms:
        words = []
        for word in term.words:
            if term.negated or word in known or len(word) < 3:
                words.append(word)
                continue
            match = difflib.get_close_matches(word, known, n=1, cutoff=0.75)
            words.append(match[0] if match else word)
            changed = changed or bool(match)
        terms.append(Term(tuple(words), prefix=term.prefix, negated=term.negated))
    if not changed:
        return None
    return ParsedQuery(tuple(terms)).to_text()


def _known_words(session: Session) -> list[str]:
    names: list[str] = [t.label for t in vocab.CAPABILITIES]
    names += [str(c.name) for c in pycountry.countries]
    names += [n for n in session.execute(select(Vendor.name)).scalars()]
    for column in (Deployment.city, Deployment.region, Deployment.programme):
        names += [
            v
            for v in session.execute(
                select(col(column)).where(col(column).is_not(None)).distinct()
            ).scalars()
            if v
        ]
    return sorted({word for name in names for word in tokens(name)})


__all__ = [
    "FACETS",
    "SORTS",
    "DeploymentCard",
    "FacetValue",
    "SearchParams",
    "SearchResult",
    "parse_params",
    "search",
]
