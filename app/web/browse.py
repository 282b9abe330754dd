"""Vendor, country and capability pages: the entity, then its deployments via the search service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from app.config import Settings
from app.services import catalog
from app.services.search import SearchParams, search
from app.web.deps import Htmx, HtmxDep, SessionDep, SettingsDep
from app.web.templating import path_for, render, with_query

router = APIRouter(include_in_schema=False)


@router.get("/vendors", name="vendors")
def vendors(request: Request, session: SessionDep, htmx: HtmxDep) -> Response:
    listing = catalog.list_vendors(session=session)
    return render(request, "browse/vendors.html", {"vendors": listing}, htmx=htmx)


@router.get("/vendors/{slug}", name="vendor")
def vendor(
    request: Request, slug: str, session: SessionDep, settings: SettingsDep, htmx: HtmxDep
) -> Response:
    detail = catalog.get_vendor(session=session, slug=slug)
    if detail is None:
        raise HTTPException(404, "We have no vendor at this address.")
    if slug != detail.vendor.slug:
        return RedirectResponse(path_for(request, "vendor", slug=detail.vendor.slug), 301)
    params = SearchParams(vendor=(detail.vendor.slug,))
    context = {"detail": detail, "vendor": detail.vendor}
    return _entity_page(
        request, "browse/vendor.html", context, params, session, settings, htmx
    )


@router.get("/countries/{code}", name="country")
def country(
    request: Request, code: str, session: SessionDep, settings: SettingsDep, htmx: HtmxDep
) -> Response:
    info = catalog.get_country(code=code)
    if info is None:
        raise HTTPException(404, "This is not an ISO 3166-1 two-letter country code.")
    if code != info.code:
        return RedirectResponse(path_for(request, "country", code=info.code), 301)
    params = SearchParams(country=(info.code,))
    context = {"country": info}
    return _entity_page(
        request, "browse/country.html", context, params, session, settings, htmx
    )


@router.get("/capabilities/{key}", name="capability")
def capability(
    request: Request, key: str, session: SessionDep, settings: SettingsDep, htmx: HtmxDep
) -> Response:
    detail = catalog.get_capability(session=session, key=key.lower())
    if detail is None:
        raise HTTPException(404, "We have no capability by this name.")
    if key != detail.capability.key:
        return RedirectResponse(path_for(request, "capability", key=detail.capability.key), 301)
    params = SearchParams(capability=(detail.capability.key,))
    context = {"detail": detail, "capability": detail.capability}
    return _entity_page(
        request, "browse/capability.html", context, params, session, settings, htmx
    )


def _entity_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    params: SearchParams,
    session: Session,
    settings: Settings,
    htmx: Htmx,
) -> Response:
    per_page = settings.page_size
    result = search(session=session, params=params, per_page=per_page, with_facets=False)
    context |= {
        "result": result,
        "search_url": with_query(path_for(request, "deployments"), params.query_items()),
    }
    return render(request, template, context, htmx=htmx)
