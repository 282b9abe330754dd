"""A search seen whole: `/map` (a list by country, and a map when tiles are configured) and
`/stats` (SVG charts with their tables). Both take the search's own GET parameters."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from app.security import policy_allowing_images_from
from app.services.places import places_by_country
from app.services.search_params import SearchParams, parse_params
from app.services.search_summary import filters_in_use
from app.services.stats import Chart, search_statistics
from app.web.charts import bar_chart
from app.web.deps import HtmxDep, SessionDep, SettingsDep
from app.web.templating import path_for, render, with_query

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# An operator's tile URL template, e.g. https://{s}.tile.example.org/{z}/{x}/{y}.png: http(s),
# a host name (a {s} subdomain placeholder becomes a CSP wildcard) and an optional port.
_TILE_URL = re.compile(
    r"^(?P<origin>https?://(?:\{s\}\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)(?:[/?]\S*)?$"
)
# Charts whose bars can link to the search narrowed to that value.
_LINKED_CHARTS = ("country", "vendor", "capability", "oversight")


def tile_origin(template: str) -> str | None:
    """The origin tiles are loaded from, in CSP source syntax, or None when unset or unusable."""
    match = _TILE_URL.match(template.strip())
    if match is None or "{z}" not in template or "{x}" not in template or "{y}" not in template:
        return None
    return match["origin"].replace("{s}.", "*.", 1)


@router.get("/map", name="map")
def map_page(
    request: Request, session: SessionDep, settings: SettingsDep, htmx: HtmxDep
) -> Response:
    params, errors = _parse(request)
    places = places_by_country(session=session, params=params)
    errors = {**errors, **places.errors}
    origin = tile_origin(settings.map_tiles) if settings.map_tiles else None
    if settings.map_tiles and origin is None:
        logger.warning("SAFECITY_MAP_TILES is not an http(s) URL template with {z}/{x}/{y}")
    headers: dict[str, str] = {}
    geojson_url = ""
    if origin:
        # The one page whose images may come from elsewhere: the configured tile server.
        headers["Content-Security-Policy"] = policy_allowing_images_from(origin)
        query = places.params.query_items(page=1)
        geojson_url = with_query(path_for(request, "deployments_geojson"), query)
    context = {
        "places": places,
        "errors": errors,
        "map_tiles": settings.map_tiles.strip() if origin else "",
        "map_attribution": settings.map_attribution,
        "geojson_url": geojson_url,
        **_search_links(request, session, places.params, "map"),
    }
    return render(
        request,
        "overview/map.html",
        context,
        htmx=htmx,
        status_code=422 if errors else 200,
        headers=headers,
    )


@router.get("/stats", name="stats")
def stats_page(request: Request, session: SessionDep, htmx: HtmxDep) -> Response:
    params, errors = _parse(request)
    statistics = search_statistics(session=session, params=params)
    errors = {**errors, **statistics.errors}
    charts = [
        {
            "chart": chart,
            "svg": bar_chart(chart),
            "links": _bar_links(request, statistics.params, chart),
        }
        for chart in statistics.charts
    ]
    context = {
        "statistics": statistics,
        "charts": charts,
        "errors": errors,
        **_search_links(request, session, statistics.params, "stats"),
    }
    return render(
        request, "overview/stats.html", context, htmx=htmx, status_code=422 if errors else 200
    )


def _parse(request: Request) -> tuple[SearchParams, dict[str, str]]:
    # Both pages show every matching record at once: a page number means nothing here.
    raw = [(name, value) for name, value in request.query_params.multi_items() if name != "page"]
    return parse_params(raw)


def _search_links(
    request: Request, session: Session, params: SearchParams, page: str
) -> dict[str, Any]:
    """Links to the same search elsewhere, and each filter in use with a link that drops it."""
    query = params.query_items(page=1)
    here = path_for(request, page)
    chips: list[tuple[str, str]] = []
    for found in filters_in_use(session=session, params=params):
        if found.name == "q":
            without = replace(params, q="")
        elif found.name in ("year_from", "year_to"):
            no_year: dict[str, Any] = {found.name: None}
            without = replace(params, **no_year)
        else:
            without = params.toggled(found.name, found.value)
        chips.append((found.label, with_query(here, without.query_items(page=1))))
    return {
        "active_filters": chips,
        "search_url": with_query(path_for(request, "deployments"), query),
        "map_url": with_query(path_for(request, "map"), query),
        "stats_url": with_query(path_for(request, "stats"), query),
    }


def _bar_links(request: Request, params: SearchParams, chart: Chart) -> dict[str, str]:
    """For each bar, the search narrowed to its value, when that search has exactly its count.

    Country and oversight status hold one value per record, so narrowing is always exact; a
    vendor or capability bar is exact only when that filter is not already set to other values.
    """
    if chart.name not in _LINKED_CHARTS:
        return {}
    selected: tuple[str, ...] = getattr(params, chart.name)
    base = path_for(request, "deployments")
    links: dict[str, str] = {}
    for bar in chart.bars:
        if not bar.key or not bar.count:
            continue
        if chart.name in ("vendor", "capability") and selected not in ((), (bar.key,)):
            continue
        only: dict[str, Any] = {chart.name: (bar.key,), "page": 1}
        narrowed = replace(params, **only)
        links[bar.key] = with_query(base, narrowed.query_items())
    return links
