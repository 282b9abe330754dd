"""Searching deployments and reading one record."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from app.services.catalog import get_deployment_detail
from app.services.search import FACETS, SORTS, SearchResult, parse_params, search
from app.web.deps import HtmxDep, SessionDep, SettingsDep
from app.web.exports import record_citation
from app.web.templating import deployment_path, path_for, render, with_query

router = APIRouter(include_in_schema=False)

# The search form swaps this element; other htmx requests to /deployments get the main content.
RESULTS_TARGET = "search-results"
ECHOED_FIELDS = ("q", "year_from", "year_to", "sort")
FACET_LEGENDS = {
    "country": "Country",
    "vendor": "Vendor",
    "capability": "Capability",
    "status": "Lifecycle status",
    "oversight": "Oversight",
    "verification": "Verification",
}
SORT_LABELS = {
    "relevance": "Best match",
    "newest": "Newest records first",
    "updated": "Recently updated",
    "title": "Title, A to Z",
}
# "" lets the service choose: best match when there are search words, else newest.
SORT_OPTIONS = [
    ("", "Best match, or newest without words"),
    *((name, SORT_LABELS.get(name, name)) for name in SORTS),
]
# Where the error summary sends the reader for each field.
FIELD_IDS = {
    "q": "q", "year_from": "year_from", "year_to": "year_to", "sort": "sort",
    **{name: f"facet-{name}" for name in FACETS},
}


@router.get("/deployments", name="deployments")
def search_page(
    request: Request, session: SessionDep, settings: SettingsDep, htmx: HtmxDep
) -> Response:
    raw = request.query_params.multi_items()
    params, errors = parse_params(raw)
    result = search(session=session, params=params, per_page=settings.page_size)
    errors = {**errors, **result.errors}
    in_place = htmx.partial and htmx.target == RESULTS_TARGET
    headers = {"Vary": "HX-Target"}
    if htmx.partial:
        # The address bar shows the tidy form of the search, or stays put when it had errors.
        clean = with_query(path_for(request, "deployments"), result.params.query_items())
        headers["HX-Push-Url"] = "false" if errors else clean
    context = {
        "result": result,
        "errors": errors,
        # What the person typed, so a rejected value is shown back beside its message.
        "typed": {name: value for name, value in raw if name in ECHOED_FIELDS},
        "facet_names": FACETS,
        "oob": in_place,
        "active_filters": _active_filters(request, result),
        "sort_options": SORT_OPTIONS,
        "facet_legends": FACET_LEGENDS,
        "field_ids": FIELD_IDS,
    }
    return render(
        request,
        "catalog/search.html",
        context,
        htmx=htmx,
        fragment=["fragment_title", "search_results", "result_status"] if in_place else "content",
        status_code=422 if errors else 200,
        headers=headers,
    )


def _active_filters(request: Request, result: SearchResult) -> list[tuple[str, str]]:
    """(label, link that removes it) for each filter in use, to show above the results."""
    base = path_for(request, "deployments")
    params = result.params
    chips: list[tuple[str, str]] = []
    for name in FACETS:
        labels = {v.value: v.label for v in result.facets.get(name, [])}
        for value in getattr(params, name):
            label = labels.get(value, value).lstrip("– ")
            link = with_query(base, params.toggled(name, value).query_items())
            chips.append((f"{FACET_LEGENDS.get(name, name)}: {label}", link))
    for name, text in (("year_from", "From"), ("year_to", "To")):
        year = getattr(params, name)
        if year is not None:
            link = with_query(base, params.query_items(**{name: None, "page": 1}))
            chips.append((f"{text} {year}", link))
    return chips


@router.get("/deployments/{deployment_id:int}", name="deployment_by_id")
def deployment_by_id(
    request: Request, deployment_id: int, session: SessionDep, settings: SettingsDep, htmx: HtmxDep
) -> Response:
    return _record_page(request, deployment_id, None, session, settings, htmx)


@router.get("/deployments/{deployment_id:int}-{slug}", name="deployment")
def deployment(
    request: Request,
    deployment_id: int,
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    htmx: HtmxDep,
) -> Response:
    return _record_page(request, deployment_id, slug, session, settings, htmx)


def _record_page(
    request: Request,
    deployment_id: int,
    slug: str | None,
    session: SessionDep,
    settings: SettingsDep,
    htmx: HtmxDep,
) -> Response:
    detail = get_deployment_detail(session=session, deployment_id=deployment_id)
    if detail is None:
        raise HTTPException(404, "There is no public record with this number.")
    canonical = deployment_path(request, detail.id, detail.deployment.slug)
    if slug is not None and slug != detail.deployment.slug:
        # A renamed record (or a mistyped slug) keeps working, at its one canonical address.
        return RedirectResponse(canonical, status_code=301)
    origin = settings.base_url.rstrip("/") or f"{request.url.scheme}://{request.url.netloc}"
    accessed_on = datetime.now(UTC).date()
    context = {
        "detail": detail,
        "d": detail.deployment,
        "canonical_url": origin + canonical,
        "accessed_on": accessed_on,
        "citation": record_citation(request, settings, detail.deployment, accessed_on=accessed_on),
    }
    return render(request, "catalog/deployment.html", context, htmx=htmx)
