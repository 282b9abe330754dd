"""The home page and the about page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.services import catalog
from app.services.search import SearchParams, search
from app.web.deps import HtmxDep, SessionDep
from app.web.templating import render

router = APIRouter(include_in_schema=False)

LATEST_COUNT = 6


@router.get("/", name="home")
def home(request: Request, session: SessionDep, htmx: HtmxDep) -> Response:
    params = SearchParams(sort="updated")
    latest = search(session=session, params=params, per_page=LATEST_COUNT, with_facets=False)
    context = {"summary": catalog.home_summary(session=session), "latest": latest}
    return render(request, "pages/home.html", context, htmx=htmx)


@router.get("/about", name="about")
def about(request: Request, htmx: HtmxDep) -> Response:
    return render(request, "pages/about.html", {}, htmx=htmx)
