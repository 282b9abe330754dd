"""Staff editing of published records: /staff/deployments/{id}/... Staff only.

The edit page is the hub: the record's fields, then its sources and oversight events with
their own forms, then archiving. Every change is written with its revision by the services
(app/services/editing.py, source_edits.py); a POST handler loads the record locked, so two
edits of one record queue up instead of racing for the next revision number.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from app.models import Deployment, DeploymentSource, OversightEvent, Source
from app.security import verify_csrf
from app.services import catalog, editing, source_edits
from app.services.catalog import get_deployment_detail
from app.services.drafts import parse_deployment_form, parse_event_form, parse_source_form
from app.services.revisions import latest_revision, public_deployment
from app.web.deps import HtmxDep, SessionDep, StaffDep
from app.web.moderation import PostedItems
from app.web.staff_forms import form_state
from app.web.templating import path_for, render, with_query

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
NO_STORE = {"Cache-Control": "no-store"}
MAX_ID = 2**63 - 1


def _deployment(session: Session, deployment_id: int, *, lock: bool = False) -> Deployment:
    found = (
        editing.lock_deployment(session=session, deployment_id=deployment_id)
        if lock and 0 < deployment_id <= MAX_ID
        else public_deployment(session=session, deployment_id=deployment_id)
    )
    if found is None:
        raise HTTPException(404, "There is no public record with this number.")
    return found


def _hub(request: Request, deployment: Deployment, **query: str) -> RedirectResponse:
    url = path_for(request, "staff_deployment_edit", deployment_id=deployment.id)
    return RedirectResponse(with_query(url, query), status_code=303)


@router.get("/staff/deployments", name="staff_deployment_lookup")
def lookup(
    request: Request, session: SessionDep, staff: StaffDep,
    record: Annotated[str, Query(alias="id", max_length=24)] = "",
) -> Response:
    text = record.strip().lstrip("#")
    deployment = (
        public_deployment(session=session, deployment_id=int(text)) if text.isdigit() else None
    )
    if deployment is None:
        raise HTTPException(404, "There is no public record with this number.")
    return _hub(request, deployment)


def _edit_page(
    request: Request, session: Session, htmx: HtmxDep, deployment: Deployment, *,
    items: list[tuple[str, str]] | None = None, errors: dict[str, str] | None = None,
    message: str | None = None, status_code: int = 200, summary: str = "",
    base_revision: int | None = None,
) -> Response:
    assert deployment.id is not None
    detail = get_deployment_detail(session=session, deployment_id=deployment.id)
    latest = latest_revision(session=session, deployment_id=deployment.id)
    if items is None:
        items = editing.deployment_form_items(session=session, deployment=deployment)
    context: dict[str, Any] = {
        "d": deployment,
        "detail": detail,
        "form": form_state(items, row_kinds=("vendor", "operator")),
        "errors": errors or {},
        "message": message,
        "saved": request.query_params.get("saved") == "1",
        "summary": summary,
        "base_revision": base_revision if base_revision is not None
        else (latest.number if latest else 0),
        "vendor_names": catalog.vendor_names(session=session),
    }
    return render(request, "staff/edit_deployment.html", context, htmx=htmx,
                  status_code=status_code, headers=NO_STORE)


@router.get("/staff/deployments/{deployment_id:int}/edit", name="staff_deployment_edit")
def edit_page(
    request: Request, deployment_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep
) -> Response:
    return _edit_page(request, session, htmx, _deployment(session, deployment_id))


def _revision_number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


@router.post("/staff/deployments/{deployment_id:int}/edit", name="staff_deployment_edit_post",
             dependencies=CSRF)
def edit(
    request: Request, deployment_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep,
    items: PostedItems,
) -> Response:
    deployment = _deployment(session, deployment_id, lock=True)
    values = dict(items)
    fields = [(k, v) for k, v in items if k not in ("edit_summary", "base_revision")]
    summary = values.get("edit_summary", "").strip()[:300]
    base = _revision_number(values.get("base_revision", ""))
    draft, errors = parse_deployment_form(fields, with_sources=False)
    if errors:
        session.rollback()
        return _edit_page(request, session, htmx, deployment, items=fields, errors=errors,
                          status_code=422, summary=summary, base_revision=base,
                          message="Nothing was saved: correct the fields marked below.")
    try:
        editing.edit_deployment(session=session, deployment=deployment, editor=staff,
                                draft=draft, summary=summary, expected_revision=base)
    except editing.EditError as error:
        session.rollback()
        return _edit_page(request, session, htmx, deployment, items=fields, summary=summary,
                          base_revision=base, message=str(error),
                          status_code=409 if isinstance(error, editing.StaleEdit) else 422)
    return _hub(request, deployment, saved="1")


# --- archive ------------------------------------------------------------------------------------


@router.get("/staff/deployments/{deployment_id:int}/archive", name="staff_deployment_archive")
def archive_page(
    request: Request, deployment_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep
) -> Response:
    context = {"d": _deployment(session, deployment_id), "errors": {}, "reason": ""}
    return render(request, "staff/archive.html", context, htmx=htmx, headers=NO_STORE)


@router.post("/staff/deployments/{deployment_id:int}/archive",
             name="staff_deployment_archive_post", dependencies=CSRF)
def archive(
    request: Request, deployment_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep,
    items: PostedItems,
) -> Response:
    deployment = _deployment(session, deployment_id, lock=True)
    reason = dict(items).get("reason", "")
    try:
        editing.archive_deployment(session=session, deployment=deployment, editor=staff,
                                   reason=reason)
    except editing.EditError as error:
        session.rollback()
        context = {"d": deployment, "errors": {"reason": str(error)}, "reason": reason}
        return render(request, "staff/archive.html", context, htmx=htmx, status_code=422,
                      headers=NO_STORE)
    return _hub(request, deployment, saved="1")


@router.post("/staff/deployments/{deployment_id:int}/restore",
             name="staff_deployment_restore", dependencies=CSRF)
def restore(
    request: Request, deployment_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep
) -> Response:
    deployment = _deployment(session, deployment_id, lock=True)
    try:
        editing.restore_deployment(session=session, deployment=deployment, editor=staff)
    except editing.EditError as error:
        session.rollback()
        return _edit_page(request, session, htmx, deployment, message=str(error),
                          status_code=422)
    return _hub(request, deployment, saved="1")


# --- sources ------------------------------------------------------------------------------------


def _source(session: Session, deployment: Deployment, source_id: int) -> tuple[Source, str | None]:
    link = (
        session.get(DeploymentSource, (deployment.id, source_id))
        if 0 < source_id <= MAX_ID else None
    )
    source = session.get(Source, source_id) if link is not None else None
    if link is None or source is None:
        raise HTTPException(404, "This record cites no source with this number.")
    return source, link.claim


def _source_page(
    request: Request, htmx: HtmxDep, deployment: Deployment, source: Source | None,
    items: list[tuple[str, str]], errors: dict[str, str], status_code: int = 200,
) -> Response:
    context = {"d": deployment, "source": source, "form": form_state(items), "errors": errors}
    return render(request, "staff/source_form.html", context, htmx=htmx,
                  status_code=status_code, headers=NO_STORE)


@router.get("/staff/deployments/{deployment_id:int}/sources/new", name="staff_source_new")
def new_source_page(
    request: Request, deployment_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep
) -> Response:
    return _source_page(request, htmx, _deployment(session, deployment_id), None, [], {})


@router.post("/staff/deployments/{deployment_id:int}/sources/new", name="staff_source_new_post",
             dependencies=CSRF)
def new_source(
    request: Request, deployment_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep,
    items: PostedItems,
) -> Response:
    deployment = _deployment(session, deployment_id, lock=True)
    draft, errors = parse_source_form(items)
    if errors:
        session.rollback()
        return _source_page(request, htmx, deployment, None, items, errors, 422)
    source_edits.add_source(session=session, deployment=deployment, editor=staff, draft=draft)
    return _hub(request, deployment, saved="1")


@router.get("/staff/deployments/{deployment_id:int}/sources/{source_id:int}/edit",
            name="staff_source_edit")
def edit_source_page(
    request: Request, deployment_id: int, source_id: int, session: SessionDep, staff: StaffDep,
    htmx: HtmxDep,
) -> Response:
    deployment = _deployment(session, deployment_id)
    source, claim = _source(session, deployment, source_id)
    items = source_edits.source_form_items(source=source, claim=claim)
    return _source_page(request, htmx, deployment, source, items, {})


@router.post("/staff/deployments/{deployment_id:int}/sources/{source_id:int}/edit",
             name="staff_source_edit_post", dependencies=CSRF)
def edit_source(
    request: Request, deployment_id: int, source_id: int, session: SessionDep, staff: StaffDep,
    htmx: HtmxDep, items: PostedItems,
) -> Response:
    deployment = _deployment(session, deployment_id, lock=True)
    source, _claim = _source(session, deployment, source_id)
    draft, errors = parse_source_form(items)
    if errors:
        session.rollback()
        return _source_page(request, htmx, deployment, source, items, errors, 422)
    source_edits.edit_source(session=session, deployment=deployment, source=source,
                             editor=staff, draft=draft)
    return _hub(request, deployment, saved="1")


@router.post("/staff/deployments/{deployment_id:int}/sources/{source_id:int}/remove",
             name="staff_source_remove", dependencies=CSRF)
def remove_source(
    request: Request, deployment_id: int, source_id: int, session: SessionDep, staff: StaffDep,
    htmx: HtmxDep,
) -> Response:
    deployment = _deployment(session, deployment_id, lock=True)
    source, _claim = _source(session, deployment, source_id)
    try:
        source_edits.unlink_source(session=session, deployment=deployment, source=source,
                                   editor=staff)
    except editing.EditError as error:
        session.rollback()
        return _edit_page(request, session, htmx, deployment, message=str(error),
                          status_code=422)
    return _hub(request, deployment, saved="1")


# --- oversight events ---------------------------------------------------------------------------


def _event(session: Session, deployment: Deployment, event_id: int) -> OversightEvent:
    event = session.get(OversightEvent, event_id) if 0 < event_id <= MAX_ID else None
    if event is None or event.deployment_id != deployment.id:
        raise HTTPException(404, "This record has no oversight event with this number.")
    return event


def _event_page(
    request: Request, session: Session, htmx: HtmxDep, deployment: Deployment,
    event: OversightEvent | None, items: list[tuple[str, str]], errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    assert deployment.id is not None
    detail = get_deployment_detail(session=session, deployment_id=deployment.id)
    context = {"d": deployment, "event": event, "form": form_state(items), "errors": errors,
               "sources": [item.source for item in detail.sources] if detail else []}
    return render(request, "staff/event_form.html", context, htmx=htmx,
                  status_code=status_code, headers=NO_STORE)


@router.get("/staff/deployments/{deployment_id:int}/events/new", name="staff_event_new")
def new_event_page(
    request: Request, deployment_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep
) -> Response:
    deployment = _deployment(session, deployment_id)
    items = [("oversight_status", deployment.oversight_status)]
    return _event_page(request, session, htmx, deployment, None, items, {})


@router.post("/staff/deployments/{deployment_id:int}/events/new", name="staff_event_new_post",
             dependencies=CSRF)
def new_event(
    request: Request, deployment_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep,
    items: PostedItems,
) -> Response:
    deployment = _deployment(session, deployment_id, lock=True)
    draft, errors = parse_event_form(items)
    if errors:
        session.rollback()
        return _event_page(request, session, htmx, deployment, None, items, errors, 422)
    source_edits.add_oversight_event(session=session, deployment=deployment, editor=staff,
                                     draft=draft)
    return _hub(request, deployment, saved="1")


@router.get("/staff/deployments/{deployment_id:int}/events/{event_id:int}/edit",
            name="staff_event_edit")
def edit_event_page(
    request: Request, deployment_id: int, event_id: int, session: SessionDep, staff: StaffDep,
    htmx: HtmxDep,
) -> Response:
    deployment = _deployment(session, deployment_id)
    event = _event(session, deployment, event_id)
    items = source_edits.event_form_items(session=session, event=event)
    items.append(("oversight_status", deployment.oversight_status))
    return _event_page(request, session, htmx, deployment, event, items, {})


@router.post("/staff/deployments/{deployment_id:int}/events/{event_id:int}/edit",
             name="staff_event_edit_post", dependencies=CSRF)
def edit_event(
    request: Request, deployment_id: int, event_id: int, session: SessionDep, staff: StaffDep,
    htmx: HtmxDep, items: PostedItems,
) -> Response:
    deployment = _deployment(session, deployment_id, lock=True)
    event = _event(session, deployment, event_id)
    draft, errors = parse_event_form(items)
    if errors:
        session.rollback()
        return _event_page(request, session, htmx, deployment, event, items, errors, 422)
    source_edits.edit_oversight_event(session=session, deployment=deployment, event=event,
                                      editor=staff, draft=draft)
    return _hub(request, deployment, saved="1")


@router.post("/staff/deployments/{deployment_id:int}/events/{event_id:int}/remove",
             name="staff_event_remove", dependencies=CSRF)
def remove_event(
    request: Request, deployment_id: int, event_id: int, session: SessionDep, staff: StaffDep,
) -> Response:
    deployment = _deployment(session, deployment_id, lock=True)
    event = _event(session, deployment, event_id)
    source_edits.delete_oversight_event(session=session, deployment=deployment, event=event,
                                        editor=staff)
    return _hub(request, deployment, saved="1")
