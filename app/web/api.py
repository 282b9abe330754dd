"""The read-only JSON API under /api/v1: deployments (searched as on /deployments), vendors,
organisations and vocabularies. Responses are the `Public` shapes of app/models/public.py;
errors are problem+json (app/web/problems.py).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from sqlmodel import SQLModel
from starlette.responses import JSONResponse, Response

from app import vocab
from app.models import Organisation, OrganisationPublic, SourcePublic, Vendor, VendorPublic
from app.models.public import (
    CapabilityRef,
    DeploymentLinks,
    DeploymentPage,
    DeploymentPublic,
    DeploymentSummaryPublic,
    OrganisationListItem,
    OrganisationPage,
    OversightEventPublic,
    PageLinks,
    Problem,
    SourceRef,
    VendorDetailPublic,
    VendorListItem,
    VendorPage,
    VendorRef,
    Vocabulary,
    VocabularyTerm,
)
from app.services import catalog, directory
from app.services.exports import ExportRecord, records_by_id
from app.services.search import SORTS, SearchParams, parse_params, search
from app.services.search_filters import RANK_LIMIT
from app.services.search_params import MAX_PAGE
from app.web.deps import SessionDep, SettingsDep
from app.web.links import absolute_for, record_url
from app.web.problems import PROBLEM_JSON, search_problem

OPENAPI_INFO: dict[str, Any] = {
    "title": "Safe City Watch",
    "version": "1",
    "summary": "Public-surveillance deployments: who sold them, what they do, what oversight.",
    "description": (
        "Read-only JSON API of the Safe City Watch database. Searching takes the search page's "
        "parameters. Errors are application/problem+json (RFC 9457). Data: CC BY 4.0."
    ),
    "license_info": {
        "name": "Data: CC BY 4.0",
        "url": "https://creativecommons.org/licenses/by/4.0/",
    },
}
_PROBLEM = {"model": Problem, "content": {PROBLEM_JSON: {}}}
router = APIRouter(
    prefix="/api/v1",
    tags=["Safe City Watch API"],
    responses={404: _PROBLEM, 422: _PROBLEM},
)

VOCABULARIES: dict[str, tuple[vocab.Term, ...]] = {
    "capabilities": vocab.CAPABILITIES,
    "lifecycle_statuses": vocab.LIFECYCLE_STATUSES,
    "oversight_statuses": vocab.OVERSIGHT_STATUSES,
    "verifications": vocab.VERIFICATIONS,
    "geo_precisions": vocab.GEO_PRECISIONS,
    "vendor_roles": vocab.VENDOR_ROLES,
    "ownerships": vocab.OWNERSHIPS,
    "organisation_kinds": vocab.ORGANISATION_KINDS,
    "source_types": vocab.SOURCE_TYPES,
    "oversight_event_kinds": vocab.OVERSIGHT_EVENT_KINDS,
    "record_states": vocab.RECORD_STATES,
}
MAX_PER_PAGE = 100
MAX_LIST_PAGE = 100
SLUG = r"^[a-z0-9][a-z0-9-]*$"

# Enumerations built from the vocabularies, so the OpenAPI document lists the allowed values.
if TYPE_CHECKING:
    CapabilityKey: TypeAlias = str
    StatusKey: TypeAlias = str
    OversightKey: TypeAlias = str
    VerificationKey: TypeAlias = str
    SortKey: TypeAlias = str
else:
    CapabilityKey = Literal[tuple(t.key for t in vocab.CAPABILITIES)]
    StatusKey = Literal[tuple(t.key for t in vocab.LIFECYCLE_STATUSES)]
    OversightKey = Literal[tuple(t.key for t in vocab.OVERSIGHT_STATUSES)]
    VerificationKey = Literal[tuple(t.key for t in vocab.VERIFICATIONS)]
    SortKey = Literal[SORTS]


@router.get("/openapi.json", name="api_openapi", include_in_schema=False)
def openapi_json(request: Request) -> JSONResponse:
    """The OpenAPI document of this API (served here, so the app's default stays off)."""
    return JSONResponse(openapi_document(request.app))


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """Built once per app; errors are documented as problem+json only."""
    document: dict[str, Any] | None = getattr(app.state, "openapi_document", None)
    if document is None:
        document = get_openapi(routes=app.routes, **OPENAPI_INFO)
        for methods in document.get("paths", {}).values():
            for operation in methods.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    if PROBLEM_JSON in content:
                        # FastAPI files the model under application/json as well; it is not sent.
                        content[PROBLEM_JSON] = content.pop("application/json")
        app.state.openapi_document = document
    return document


_MARKER = 987654321  # an id no real path segment shares, replaced by each record's own


class _RecordLinks:
    """Builds a record's links from routes resolved once per request (a list has many)."""

    def __init__(self, request: Request, settings: SettingsDep) -> None:
        def template(name: str) -> str:
            url = absolute_for(request, settings, name, deployment_id=_MARKER)
            assert url.count(str(_MARKER)) == 1
            return url

        self.html = record_url(request, settings)
        self.api = template("api_deployment")
        self.revisions = template("deployment_history")
        self.bibtex = template("deployment_cite_bibtex")
        self.csl = template("deployment_cite_csl")

    def __call__(self, deployment_id: int, slug: str) -> DeploymentLinks:
        marker, number = str(_MARKER), str(deployment_id)
        return DeploymentLinks(
            api=self.api.replace(marker, number),
            html=self.html(deployment_id, slug),
            revisions=self.revisions.replace(marker, number),
            citation_bibtex=self.bibtex.replace(marker, number),
            citation_csl_json=self.csl.replace(marker, number),
        )


def _summary(record: ExportRecord, links: _RecordLinks) -> DeploymentSummaryPublic:
    fields: dict[str, Any] = dict(record.fields)
    return DeploymentSummaryPublic(
        **fields,
        vendors=[
            VendorRef(slug=v.slug, name=v.name, country=v.country, role=v.role)
            for v in record.vendors
        ],
        capabilities=record.capabilities,
        links=links(record.id, fields["slug"]),
    )


def _json(model: SQLModel) -> Response:
    """The model as JSON, without FastAPI validating it against response_model a second time
    (it was built from that very model; the OpenAPI document still declares it)."""
    return Response(model.model_dump_json(), media_type="application/json")


def _page_links(
    request: Request,
    settings: SettingsDep,
    name: str,
    items: list[tuple[str, str]],
    page: int,
    pages: int,
) -> PageLinks:
    def at(number: int) -> str:
        query = [*items, ("page", str(number))] if number != 1 else items
        return absolute_for(request, settings, name, query)

    return PageLinks(
        self=at(page),
        first=at(1),
        last=at(pages),
        next=at(page + 1) if page < pages else None,
        prev=at(page - 1) if 1 < page <= pages + 1 else None,
    )


@router.get("/deployments", name="api_deployments", response_model=DeploymentPage)
def list_deployments(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[
        str,
        Query(
            description="Search words, as in the search box: every word must "
            'match; "a phrase", -exclude, prefix*.'
        ),
    ] = "",
    country: Annotated[
        list[str], Query(description="ISO 3166-1 alpha-2 code; repeat for several.")
    ] = [],  # noqa: B006 (FastAPI copies defaults)
    vendor: Annotated[list[str], Query(description="Vendor slug; repeat for several.")] = [],  # noqa: B006
    capability: Annotated[
        list[CapabilityKey], Query(description="Capability key; a parent includes its children.")
    ] = [],  # noqa: B006
    status: Annotated[list[StatusKey], Query(description="Lifecycle status.")] = [],  # noqa: B006
    oversight: Annotated[list[OversightKey], Query(description="Oversight status.")] = [],  # noqa: B006
    verification: Annotated[list[VerificationKey], Query()] = [],  # noqa: B006
    year_from: Annotated[
        int | None, Query(ge=1900, le=2100, description="Active in or after this year.")
    ] = None,
    year_to: Annotated[
        int | None, Query(ge=1900, le=2100, description="Begun in or before this year.")
    ] = None,
    sort: Annotated[
        SortKey | None,
        Query(
            description="Default: relevance with words, else newest. Words found in more than "
            f"{RANK_LIMIT:,} records are listed newest first (see `notes`); `query.sort` "
            "says the order given."
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
) -> DeploymentPage | Response:
    """Search published deployments with the search page's filters, sorting and query language."""
    params, errors = parse_params(request.query_params.multi_items())
    result = search(
        session=session, params=params, per_page=per_page, with_facets=False, with_cards=False
    )
    errors |= result.errors
    if errors:
        return search_problem(request, errors)
    records = records_by_id(session=session, ids=result.ids)
    items = result.params.query_items(page=1)
    if per_page != 20:
        items.append(("per_page", str(per_page)))
    links = _RecordLinks(request, settings)
    page_body = DeploymentPage(
        total=result.total,
        page=result.page,
        pages=result.pages,
        per_page=per_page,
        query=_query_dict(result.params, result.sort),
        notes=result.notes,
        suggestion=result.suggestion,
        links=_page_links(request, settings, "api_deployments", items, result.page, result.pages),
        items=[_summary(record, links) for record in records],
    )
    return _json(page_body)


def _query_dict(params: SearchParams, sort: str) -> dict[str, str | list[str]]:
    query: dict[str, str | list[str]] = {}
    for name, value in params.query_items(page=1):
        if name in ("q", "year_from", "year_to", "sort"):
            query[name] = value
        else:
            current = query.setdefault(name, [])
            assert isinstance(current, list)
            current.append(value)
    query["sort"] = sort  # the order the items are in
    return query


@router.get("/deployments/{deployment_id}", name="api_deployment", response_model=DeploymentPublic)
def get_deployment(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    deployment_id: Annotated[int, Path(description="The record's stable number.")],
) -> DeploymentPublic:
    """One published or archived deployment with its vendors, operators, capabilities, sources
    and oversight events."""
    detail = catalog.get_deployment_detail(session=session, deployment_id=deployment_id)
    if detail is None:
        raise HTTPException(404, f"There is no public deployment with id {deployment_id}.")
    d = detail.deployment
    return DeploymentPublic(
        **d.model_dump(exclude={"first_year", "ended_year", "title_sort"}),
        vendors=[
            VendorRef(slug=v.vendor.slug, name=v.vendor.name, country=v.vendor.country, role=v.role)
            for v in detail.vendors
        ],
        operators=[OrganisationPublic.model_validate(o.model_dump()) for o in detail.operators],
        capabilities=[
            CapabilityRef(key=c.key, label=c.label, parent_key=c.parent_key)
            for c in detail.capabilities
        ],
        sources=[
            SourceRef(**s.source.model_dump(), claim=s.claim, position=s.position)
            for s in detail.sources
        ],
        oversight_events=[
            OversightEventPublic(
                **e.event.model_dump(exclude={"deployment_id"}),
                sources=[SourcePublic.model_validate(s.model_dump()) for s in e.sources],
            )
            for e in detail.oversight_events
        ],
        links=_RecordLinks(request, settings)(detail.id, d.slug),
    )


@router.get("/vendors", name="api_vendors", response_model=VendorPage)
def list_vendors(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_LIST_PAGE)] = MAX_LIST_PAGE,
) -> VendorPage:
    """Every vendor by name, with the number of published deployments naming it."""
    listing = directory.list_vendors(session=session, page=page, per_page=per_page)
    pages = max(1, math.ceil(listing.total / per_page))
    items: list[VendorListItem] = []
    for counted in listing.items:
        vendor: Vendor = counted.item
        items.append(
            VendorListItem(
                **vendor.model_dump(),
                deployments=counted.deployments,
                api=absolute_for(request, settings, "api_vendor", slug=vendor.slug),
                html=absolute_for(request, settings, "vendor", slug=vendor.slug),
            )
        )
    query = [("per_page", str(per_page))] if per_page != MAX_LIST_PAGE else []
    return VendorPage(
        total=listing.total,
        page=page,
        pages=pages,
        per_page=per_page,
        links=_page_links(request, settings, "api_vendors", query, page, pages),
        items=items,
    )


@router.get("/vendors/{slug}", name="api_vendor", response_model=VendorDetailPublic)
def get_vendor(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    slug: Annotated[str, Path(pattern=SLUG, max_length=200)],
) -> VendorDetailPublic:
    """One vendor with its parent company and subsidiaries."""
    detail = catalog.get_vendor(session=session, slug=slug)
    if detail is None:
        raise HTTPException(404, f"There is no vendor with slug “{slug}”.")
    vendor = detail.vendor
    return VendorDetailPublic(
        **vendor.model_dump(),
        parent=VendorPublic.model_validate(detail.parent.model_dump()) if detail.parent else None,
        subsidiaries=[VendorPublic.model_validate(v.model_dump()) for v in detail.subsidiaries],
        html=absolute_for(request, settings, "vendor", slug=vendor.slug),
        deployments=absolute_for(request, settings, "api_deployments", [("vendor", vendor.slug)]),
    )


@router.get("/organisations", name="api_organisations", response_model=OrganisationPage)
def list_organisations(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_LIST_PAGE)] = MAX_LIST_PAGE,
) -> OrganisationPage:
    """Organisations that operate or buy deployments, by name, with their deployment counts."""
    listing = directory.list_organisations(session=session, page=page, per_page=per_page)
    pages = max(1, math.ceil(listing.total / per_page))
    items = []
    for counted in listing.items:
        organisation: Organisation = counted.item
        items.append(
            OrganisationListItem(**organisation.model_dump(), deployments=counted.deployments)
        )
    query = [("per_page", str(per_page))] if per_page != MAX_LIST_PAGE else []
    return OrganisationPage(
        total=listing.total,
        page=page,
        pages=pages,
        per_page=per_page,
        links=_page_links(request, settings, "api_organisations", query, page, pages),
        items=items,
    )


@router.get("/vocabularies", name="api_vocabularies", response_model=list[Vocabulary])
def list_vocabularies() -> list[Vocabulary]:
    """Every controlled vocabulary with its keys, labels and explanations."""
    return [_vocabulary(name) for name in VOCABULARIES]


@router.get("/vocabularies/{name}", name="api_vocabulary", response_model=Vocabulary)
def get_vocabulary(
    name: Annotated[str, Path(description=f"One of: {', '.join(VOCABULARIES)}.")],
) -> Vocabulary:
    """One vocabulary."""
    if name not in VOCABULARIES:
        raise HTTPException(404, f"No vocabulary is called “{name}”; see /api/v1/vocabularies.")
    return _vocabulary(name)


def _vocabulary(name: str) -> Vocabulary:
    return Vocabulary(
        name=name,
        terms=[
            VocabularyTerm(key=t.key, label=t.label, explanation=t.explanation, parent=t.parent)
            for t in VOCABULARIES[name]
        ],
    )
