"""A search's filters in words, for pages that show a search without its filter form."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import Vendor
from app.search_index import country_name
from app.services.search_params import FACETS, LABELS, SearchParams

LEGENDS = {
    "country": "Country",
    "vendor": "Vendor",
    "capability": "Capability",
    "status": "Lifecycle status",
    "oversight": "Oversight",
    "verification": "Verification",
}


@dataclass(frozen=True)
class FilterInUse:
    name: str  # a search parameter: q, a facet name, year_from or year_to
    value: str
    label: str  # "Country: Serbia"


def filters_in_use(*, session: Session, params: SearchParams) -> list[FilterInUse]:
    """The words and each filter value of `params`, labelled as the search page labels them."""
    vendors = (
        dict(
            session.execute(
                select(Vendor.slug, Vendor.name).where(col(Vendor.slug).in_(params.vendor))
            ).all()
        )
        if params.vendor
        else {}
    )
    found: list[FilterInUse] = []
    if params.q:
        found.append(FilterInUse("q", params.q, f"Words: {params.q}"))
    for name in FACETS:
        for value in getattr(params, name):
            if name == "country":
                label = country_name(value)
            elif name == "vendor":
                label = vendors.get(value, value)
            else:
                label = LABELS[name].get(value, value)
            found.append(FilterInUse(name, value, f"{LEGENDS[name]}: {label}"))
    for name, text in (("year_from", "From"), ("year_to", "To")):
        year = getattr(params, name)
        if year is not None:
            found.append(FilterInUse(name, str(year), f"{text} {year}"))
    return found
