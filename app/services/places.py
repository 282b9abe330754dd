"""The records of a search grouped by country: the map page's list, which works without a map.

The list is capped (LIST_LIMIT) so a search over the whole catalog stays one reasonable page;
the result says when it was cut, and how many records in it have coordinates for the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app.models import Deployment
from app.search_index import country_name
from app.services.query import parse_query
from app.services.search_filters import build_conditions, vendor_ids_for
from app.services.search_params import SearchParams

LIST_LIMIT = 2000


@dataclass(frozen=True)
class Place:
    id: int
    slug: str
    title: str
    city: str | None
    located: bool  # has latitude and longitude, so it can be on the map


@dataclass(frozen=True)
class CountryGroup:
    country: str
    name: str
    places: list[Place] = field(default_factory=list)


@dataclass(frozen=True)
class PlaceList:
    params: SearchParams
    total: int  # every record matching the search, listed or not
    listed: int
    located: int  # records matching the search that have coordinates
    groups: list[CountryGroup]
    notes: list[str]
    errors: dict[str, str]

    @property
    def capped(self) -> bool:
        return self.listed < self.total


def places_by_country(
    *, session: Session, params: SearchParams, limit: int = LIST_LIMIT
) -> PlaceList:
    """Published records matching `params`, by country name, then city, then title."""
    parsed = parse_query(params.q)
    notes = list(parsed.notes)
    errors: dict[str, str] = {}
    vendor_ids = vendor_ids_for(session, params.vendor, errors)
    if errors:
        params = replace(params, vendor=tuple(s for s in params.vendor if s in vendor_ids))
    where = build_conditions(session, params, parsed, vendor_ids).all()
    located_clause = (
        col(Deployment.latitude).is_not(None),
        col(Deployment.longitude).is_not(None),
    )
    try:
        total = session.execute(
            select(func.count()).select_from(Deployment).where(*where)
        ).scalar_one()
        located = session.execute(
            select(func.count()).select_from(Deployment).where(*where, *located_clause)
        ).scalar_one()
        rows = session.execute(
            sql_select(
                col(Deployment.id),
                col(Deployment.slug),
                col(Deployment.title),
                col(Deployment.city),
                col(Deployment.country),
                col(Deployment.latitude),
                col(Deployment.longitude),
            )
            .where(*where)
            .order_by(col(Deployment.country), col(Deployment.title_sort), col(Deployment.id))
            .limit(limit)
        ).all()
    except DBAPIError:
        session.rollback()
        notes.append("This search could not be run; try simpler words.")
        total, located, rows = 0, 0, []
    groups: dict[str, CountryGroup] = {}
    for id_, slug, title, city, country, latitude, longitude in rows:
        group = groups.setdefault(country, CountryGroup(country, country_name(country)))
        group.places.append(
            Place(id_, slug, title, city, latitude is not None and longitude is not None)
        )
    ordered = sorted(groups.values(), key=lambda g: g.name.casefold())
    for group in ordered:
        group.places.sort(key=lambda p: ((p.city or "").casefold(), p.title.casefold(), p.id))
    return PlaceList(
        params=params,
        total=int(total),
        listed=len(rows),
        located=int(located),
        groups=ordered,
        notes=notes,
        errors=errors,
    )
