"""The moderation queue and the review screen: /moderation and below. Staff only.

Every POST carries the CSRF token and ends in a 303 redirect; a refused decision re-renders
the page with the reason (422 for a form to correct, 409 when another moderator holds the
submission or it was already decided).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlmodel import Session
from starlette.responses import FileResponse, RedirectResponse, Response

from app.models import Deployment, Submission, SubmissionContact, User
from app.security import verify_csrf
from app.services import catalog, moderation
from app.services.drafts import parse_deployment_form, proposal_form, proposal_note
from app.services.duplicates import compare, read_proposal, record_values
from app.services.images import evidence_file, submission_image_named, submission_images
from app.web.deps import HtmxDep, SessionDep, SettingsDep, StaffDep
from app.web.staff_forms import form_state
from app.web.templating import path_for, render, with_query

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
NO_STORE = {"Cache-Control": "no-store"}
QUEUE_TARGET = "queue-results"
DEPLOYMENT_ROWS = ("vendor", "operator", "source")
STATE_LABELS = {
    "open": "Waiting", "all": "All", "pending": "Pending", "in_review": "In review",
    "accepted": "Published", "merged": "Merged", "rejected": "Rejected", "spam": "Spam",
}
KIND_LABELS = {
    "new_deployment": "New deployment", "correction": "Correction", "new_source": "New source",
}
LABELS = {"state_labels": STATE_LABELS, "kind_labels": KIND_LABELS}


async def posted_items(request: Request) -> list[tuple[str, str]]:
    """The posted text fields (the CSRF check has already parsed and cached the form)."""
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"]


PostedItems = Annotated[list[tuple[str, str]], Depends(posted_items)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _submission(session: Session, submission_id: int) -> Submission:
    submission = session.get(Submission, submission_id) if 0 < submission_id < 2**63 else None
    if submission is None:
        raise HTTPException(404, "There is no submission with this number.")
    return submission


# --- the queue ----------------------------------------------------------------------------------


@router.get("/moderation", name="moderation")
def queue_page(request: Request, session: SessionDep, staff: StaffDep, htmx: HtmxDep) -> Response:
    filters, errors = moderation.parse_queue_filters(request.query_params.multi_items())
    return _queue(request, session, htmx, filters, errors)


def _queue(
    request: Request, session: Session, htmx: HtmxDep, filters: moderation.QueueFilters,
    errors: dict[str, str], *, status_code: int = 200, bulk_note: str = "",
) -> Response:
    page = moderation.list_queue(session=session, filters=filters)
    notice = _bulk_notice(request)
    in_place = htmx.partial and htmx.target == QUEUE_TARGET
    context = {"page": page, "errors": errors, "notice": notice, "bulk_note": bulk_note,
               "states": moderation.STATES, "kinds": moderation.KINDS, **LABELS}
    headers = {**NO_STORE, "Vary": "HX-Target"}
    return render(
        request, "moderation/queue.html", context, htmx=htmx,
        fragment="queue_results" if in_place else "content",
        status_code=status_code, headers=headers,
    )


def _bulk_notice(request: Request) -> str | None:
    """The outcome of a bulk action, told by the redirect as numbers (never free text)."""
    params = request.query_params
    done, skipped = params.get("done", ""), params.get("skipped", "")
    action = {"rejected": "rejected", "spam": "marked as spam"}.get(params.get("decided", ""))
    if action is None or not done.isdigit() or not (skipped or "0").isdigit():
        return None
    text = f"{int(done)} submission{'s' if int(done) != 1 else ''} {action}."
    if skipped and int(skipped):
        text += f" {int(skipped)} skipped: claimed by another moderator or already decided."
    return text


@router.post("/moderation/bulk", name="moderation_bulk", dependencies=CSRF)
def bulk_action(
    request: Request, session: SessionDep, staff: StaffDep, htmx: HtmxDep, items: PostedItems
) -> Response:
    values = dict(items)
    ids = [int(v) for name, v in items if name == "ids" and v.isdigit() and len(v) < 18]
    action = values.get("action", "")
    note = values.get("note", "")
    try:
        result = moderation.bulk_decide(
            session=session, ids=ids, reviewer=staff, action=action, note=note
        )
    except moderation.ModerationError as error:
        filters, _ = moderation.parse_queue_filters(request.query_params.multi_items())
        return _queue(request, session, htmx, filters, {"bulk": str(error)}, status_code=422,
                      bulk_note=note)
    decided = "rejected" if action == "reject" else "spam"
    target = with_query(
        path_for(request, "moderation"),
        [("decided", decided), ("done", str(len(result.done))),
         ("skipped", str(len(result.skipped)))],
    )
    return _see_other(target)


# --- the review screen --------------------------------------------------------------------------


def _review(
    request: Request, session: Session, staff: User, htmx: HtmxDep, submission: Submission, *,
    publish_items: list[tuple[str, str]] | None = None, errors: dict[str, str] | None = None,
    message: str | None = None, status_code: int = 200, reject_note: str = "",
) -> Response:
    proposal = read_proposal(submission.proposed)
    target = (
        session.get(Deployment, submission.target_deployment_id)
        if submission.target_deployment_id else None
    )
    contact = session.get(SubmissionContact, submission.id)
    images = submission_images(session=session, submission_id=submission.id or 0)
    is_open = submission.state in moderation.OPEN_STATES
    holder = (
        session.get(User, submission.claimed_by_id) if submission.claimed_by_id else None
    )
    context: dict[str, Any] = {
        "submission": submission,
        "proposed": submission.proposed,
        "proposal_errors": proposal.errors,
        "note": proposal_note(submission.proposed),
        "target": target,
        "contact": contact.contact if contact else None,
        "images": images,
        "is_open": is_open,
        "holds": moderation.holds_claim(submission, staff),
        "holder": holder,
        "claim_active": holder is not None and not moderation.holds_claim(submission, staff)
        and moderation.holds_claim(submission, holder),
        "candidates": moderation.duplicate_candidates(session=session, submission=submission)
        if is_open else [],
        "form": form_state(
            publish_items if publish_items is not None else proposal_form(submission.proposed),
            row_kinds=DEPLOYMENT_ROWS,
        ),
        "errors": errors or {},
        "message": message,
        "reject_note": reject_note,
        "vendor_names": catalog.vendor_names(session=session),
        **LABELS,
    }
    return render(request, "moderation/review.html", context, htmx=htmx,
                  status_code=status_code, headers=NO_STORE)


@router.get("/moderation/{submission_id:int}", name="moderation_review")
def review_page(
    request: Request, submission_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep
) -> Response:
    return _review(request, session, staff, htmx, _submission(session, submission_id))


@router.get("/moderation/{submission_id:int}/images/{file_name}", name="moderation_image")
def submission_image(
    submission_id: int, file_name: str, session: SessionDep, settings: SettingsDep,
    staff: StaffDep,
) -> Response:
    """An evidence image of a submission under review: staff only, never cached."""
    _submission(session, submission_id)
    image = submission_image_named(
        session=session, submission_id=submission_id, file_name=file_name
    )
    path = evidence_file(data_dir=settings.data_dir, image=image) if image else None
    if image is None or path is None or not path.is_file():
        raise HTTPException(404, "There is no such image.")
    return FileResponse(
        path, media_type=image.content_type,
        headers={**NO_STORE, "Content-Security-Policy": "default-src 'none'; sandbox"},
    )


def _refused(
    request: Request, session: Session, staff: User, htmx: HtmxDep, submission: Submission,
    error: moderation.ModerationError, **kwargs: Any,
) -> Response:
    conflict = isinstance(error, moderation.ClaimedByOther | moderation.AlreadyDecided)
    session.refresh(submission)
    return _review(request, session, staff, htmx, submission, message=str(error),
                   status_code=409 if conflict else 422, **kwargs)


@router.post("/moderation/{submission_id:int}/claim", name="moderation_claim", dependencies=CSRF)
def claim(
    request: Request, submission_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep
) -> Response:
    submission = _submission(session, submission_id)
    try:
        moderation.claim(session=session, submission=submission, moderator=staff)
    except moderation.ModerationError as error:
        return _refused(request, session, staff, htmx, submission, error)
    return _see_other(path_for(request, "moderation_review", submission_id=submission_id))


@router.post(
    "/moderation/{submission_id:int}/release", name="moderation_release", dependencies=CSRF
)
def release(request: Request, submission_id: int, session: SessionDep, staff: StaffDep) -> Response:
    submission = _submission(session, submission_id)
    moderation.release(session=session, submission=submission, moderator=staff)
    return _see_other(path_for(request, "moderation"))


@router.post(
    "/moderation/{submission_id:int}/publish", name="moderation_publish", dependencies=CSRF
)
def publish(
    request: Request, submission_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep,
    items: PostedItems,
) -> Response:
    submission = _submission(session, submission_id)
    fields = [(name, value) for name, value in items if name != "attach_images"]
    draft, errors = parse_deployment_form(fields, with_sources=True)
    if errors:
        return _review(request, session, staff, htmx, submission, publish_items=fields,
                       errors=errors, status_code=422,
                       message="The record was not published: correct the fields marked below.")
    try:
        deployment = moderation.publish_submission(
            session=session, submission=submission, reviewer=staff, draft=draft,
            attach_images=("attach_images", "1") in items,
        )
    except moderation.ModerationError as error:
        return _refused(request, session, staff, htmx, submission, error, publish_items=fields)
    assert deployment.id is not None
    return _see_other(path_for(request, "deployment_history", deployment_id=deployment.id))


@router.get("/moderation/{submission_id:int}/merge", name="moderation_merge")
def merge_page(
    request: Request, submission_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep,
    into: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    submission = _submission(session, submission_id)
    deployment = _merge_target(session, into)
    if deployment is None:
        return _review(request, session, staff, htmx, submission, status_code=422,
                       errors={"into": "Enter the number of a published record to merge into."})
    proposal = read_proposal(submission.proposed)
    differences = compare(
        proposal=proposal, current=record_values(session=session, deployment=deployment)
    )
    mergeable = set(moderation.mergeable_fields(submission))
    context = {
        "submission": submission,
        "deployment": deployment,
        "differences": differences,
        "mergeable": mergeable,
        "sources": submission.proposed.get("sources") or [],
        "is_open": submission.state in moderation.OPEN_STATES,
    }
    return render(request, "moderation/merge.html", context, htmx=htmx, headers=NO_STORE)


def _merge_target(session: Session, into: str) -> Deployment | None:
    text = into.strip().lstrip("#")
    if not text.isdigit() or not 0 < int(text) < 2**63:
        return None
    deployment = session.get(Deployment, int(text))
    return deployment if deployment is not None and deployment.state == "published" else None


@router.post("/moderation/{submission_id:int}/merge", name="moderation_merge_post",
             dependencies=CSRF)
def merge(
    request: Request, submission_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep,
    items: PostedItems,
) -> Response:
    submission = _submission(session, submission_id)
    deployment = _merge_target(session, dict(items).get("into", ""))
    if deployment is None:
        return _review(request, session, staff, htmx, submission, status_code=422,
                       errors={"into": "Enter the number of a published record to merge into."})
    take = [value for name, value in items if name == "take"]
    try:
        result = moderation.merge_submission(
            session=session, submission=submission, reviewer=staff, deployment=deployment,
            take=take,
        )
    except moderation.ModerationError as error:
        return _refused(request, session, staff, htmx, submission, error)
    assert result.deployment.id is not None
    return _see_other(path_for(request, "deployment_history", deployment_id=result.deployment.id))


@router.post("/moderation/{submission_id:int}/reject", name="moderation_reject",
             dependencies=CSRF)
def reject(
    request: Request, submission_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep,
    items: PostedItems,
) -> Response:
    submission = _submission(session, submission_id)
    note = dict(items).get("note", "")
    try:
        moderation.reject_submission(
            session=session, submission=submission, reviewer=staff, note=note
        )
    except moderation.ModerationError as error:
        conflict = isinstance(error, moderation.ClaimedByOther | moderation.AlreadyDecided)
        if conflict:
            return _refused(request, session, staff, htmx, submission, error)
        session.refresh(submission)
        return _review(request, session, staff, htmx, submission, status_code=422,
                       errors={"note": str(error)}, reject_note=note)
    return _see_other(path_for(request, "moderation"))


@router.post("/moderation/{submission_id:int}/spam", name="moderation_spam", dependencies=CSRF)
def spam(
    request: Request, submission_id: int, session: SessionDep, staff: StaffDep, htmx: HtmxDep
) -> Response:
    submission = _submission(session, submission_id)
    try:
        moderation.mark_spam(session=session, submission=submission, reviewer=staff)
    except moderation.ModerationError as error:
        return _refused(request, session, staff, htmx, submission, error)
    return _see_other(path_for(request, "moderation"))
