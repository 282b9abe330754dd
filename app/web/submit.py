"""Public submissions: /submit, /deployments/{id}/suggest, /receipt, and evidence images.

Submitter safety: these handlers read the client address only to feed the keyed-hash rate
limiter, read no other header about the person, log nothing, and answer with no-store so no
cache keeps what was typed. The receipt code is shown in the response to the POST itself,
not after a redirect: a redirect would have to carry it in a URL (history, logs) or a cookie.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartParser
from starlette.responses import FileResponse, RedirectResponse, Response

from app import vocab
from app.config import Settings
from app.models import Deployment
from app.security import app_secret, verify_csrf
from app.services import ratelimit
from app.services.images import (
    CleanImage,
    ImageRejected,
    evidence_file,
    public_evidence_image,
    strip_image_metadata,
)
from app.services.proposals import IMAGE_SLOTS
from app.services.submissions import (
    SimilarRecord,
    check_form_token,
    create_submission,
    issue_form_token,
    published_deployment,
    similar_published,
    submission_status,
    validate_submission,
)
from app.web import submit_form
from app.web.deps import Htmx, HtmxDep, SessionDep, SettingsDep
from app.web.templating import deployment_path, path_for, render

router = APIRouter(include_in_schema=False)

# Uploads stay in memory up to the largest form we accept: a spooled temporary file would put
# the original photo, metadata and all, on disk for a while.
_MB = 1024 * 1024
MultiPartParser.spool_max_size = 64 * _MB
NO_STORE = {"Cache-Control": "no-store"}
FORM_FIELD_NAMES = frozenset(
    {*submit_form.FIELDS, submit_form.HONEYPOT, submit_form.FORM_TOKEN, "kind"}
)


def limit_body(request: Request, settings: SettingsDep) -> None:
    """Refuse an oversized form before any of it is read."""
    cap = IMAGE_SLOTS * settings.upload_max_bytes + 2 * _MB
    length = request.headers.get("Content-Length", "")
    if not length.isdigit() or int(length) > min(cap, 64 * _MB):
        limit = settings.upload_max_bytes // _MB
        raise HTTPException(
            413, f"This form is too large to send. Each photo may be at most {limit} MB."
        )


async def read_form(request: Request) -> FormData:
    return await request.form(max_files=IMAGE_SLOTS, max_fields=200)


FormDep = Annotated[FormData, Depends(read_form)]
POST_GUARDS = [Depends(limit_body), Depends(verify_csrf)]


# --- the forms --------------------------------------------------------------------------------


def _texts(form: FormData) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in FORM_FIELD_NAMES:
        value = form.get(name)
        if isinstance(value, str):
            values[name] = value
    return values


def _capabilities(form: FormData) -> list[str]:
    return [v for v in form.getlist("capabilities") if isinstance(v, str)]


def _uploads(form: FormData) -> list[tuple[int, UploadFile]]:
    found: list[tuple[int, UploadFile]] = []
    for slot, name in enumerate(submit_form.IMAGE_INPUTS, start=1):
        value = form.get(name)
        if isinstance(value, UploadFile) and (value.filename or value.size):
            found.append((slot, value))
    return found


def _form_page(
    request: Request,
    *,
    template: str,
    htmx: Htmx,
    session: Session,
    values: dict[str, str] | None = None,
    capabilities: list[str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    deployment: Deployment | None = None,
    fragment: str | list[str] = "content",
    extra: dict[str, Any] | None = None,
) -> Response:
    values = values or {}
    settings = request.app.state.settings
    similar: list[SimilarRecord] = []
    if template == "submit/submit.html" and values.get("title") and fragment != "field_check":
        similar = similar_published(
            session=session,
            title=values.get("title", ""),
            country=values.get("country", ""),
            city=values.get("city", ""),
        )
    context = {
        "f": submit_form,
        "vocab": vocab,
        "values": values,
        "capabilities": set(capabilities or []),
        "errors": errors or {},
        "notice": notice,
        "form_token": issue_form_token(secret=app_secret(request)),
        "similar": similar,
        "deployment": deployment,
        "kind": values.get("kind", ""),
        "max_mb": settings.upload_max_bytes // _MB,
        "max_megapixels": f"{settings.upload_max_pixels / 1_000_000:g}",
        **(extra or {}),
    }
    return render(
        request, template, context, htmx=htmx, fragment=fragment,
        status_code=status_code, headers=NO_STORE,
    )


@router.get("/submit", name="submit")
def submit_page(request: Request, session: SessionDep, htmx: HtmxDep) -> Response:
    return _form_page(request, template="submit/submit.html", htmx=htmx, session=session)


@router.post("/submit", name="submit_post", dependencies=POST_GUARDS)
def submit_post(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep, htmx: HtmxDep
) -> Response:
    return _accept(
        request, form, session, settings, htmx,
        template="submit/submit.html", kind="new_deployment", deployment=None,
    )


@router.get("/deployments/{deployment_id:int}/suggest", name="suggest")
def suggest_page(
    request: Request, deployment_id: int, session: SessionDep, htmx: HtmxDep
) -> Response:
    deployment = _target(session, deployment_id)
    return _form_page(
        request, template="submit/suggest.html", htmx=htmx, session=session,
        deployment=deployment, values={"kind": "correction"},
        extra={"record_url": deployment_path(request, deployment_id, deployment.slug)},
    )


@router.post(
    "/deployments/{deployment_id:int}/suggest", name="suggest_post", dependencies=POST_GUARDS
)
def suggest_post(
    request: Request,
    deployment_id: int,
    form: FormDep,
    session: SessionDep,
    settings: SettingsDep,
    htmx: HtmxDep,
) -> Response:
    deployment = _target(session, deployment_id)
    kind = form.get("kind")
    return _accept(
        request, form, session, settings, htmx,
        template="submit/suggest.html",
        kind=kind if isinstance(kind, str) and kind in ("correction", "new_source") else "",
        deployment=deployment,
        extra={"record_url": deployment_path(request, deployment_id, deployment.slug)},
    )


def _target(session: Session, deployment_id: int) -> Deployment:
    deployment = published_deployment(session=session, deployment_id=deployment_id)
    if deployment is None:
        raise HTTPException(404, "There is no public record with this number.")
    return deployment


def _accept(
    request: Request,
    form: FormData,
    session: Session,
    settings: Settings,
    htmx: Htmx,
    *,
    template: str,
    kind: str,
    deployment: Deployment | None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """The checks in order of cost: honeypot, timing, fields, rate limits, photos; then save."""
    values = _texts(form)
    capabilities = _capabilities(form)
    uploads = _uploads(form)
    secret = app_secret(request)

    def again(errors: dict[str, str], notice: str | None, status_code: int = 422) -> Response:
        if uploads and "photos" not in errors:
            errors = {**errors, "photos": "For your safety, photos are not kept when a form is "
                      "sent back: please choose them again."}
        return _form_page(
            request, template=template, htmx=htmx, session=session, values=values,
            capabilities=capabilities, errors=errors, notice=notice, status_code=status_code,
            deployment=deployment, extra=extra,
        )

    if values.get(submit_form.HONEYPOT, "").strip():
        return again({submit_form.HONEYPOT: "Leave this field empty."}, _NOT_SAVED)
    timing = check_form_token(
        secret=secret,
        token=values.get(submit_form.FORM_TOKEN, ""),
        min_seconds=settings.submission_min_seconds,
        max_age=timedelta(hours=settings.submission_max_age_hours),
    )
    if timing:
        return again({}, timing)
    checked, errors = validate_submission(
        kind=kind, fields=values, capabilities=capabilities, image_count=len(uploads)
    )
    if checked is None:
        return again(errors, _NOT_SAVED)
    # The counts join the submission's own transaction: one commit per accepted submission
    # (SQLite serialises writers). They are committed on their own only when refused, or
    # before photos are re-encoded, so no write lock is held during that work.
    client = request.client.host if request.client else "unknown"
    per_client = ratelimit.hit(
        session=session, secret=secret, scope="submit", key=client,
        limit=settings.submissions_per_hour_per_client, commit=False,
    )
    overall = per_client.allowed and ratelimit.hit(
        session=session, secret=secret, scope="submit_global", key="all",
        limit=settings.submissions_per_hour_global, commit=False, purge=False,
    ).allowed
    if not overall or uploads:
        session.commit()
    if not overall:
        message = _TOO_MANY if per_client.allowed else _TOO_MANY_FROM_HERE
        return again({}, message, status_code=429)
    images: list[tuple[CleanImage, str | None]] = []
    image_errors: dict[str, str] = {}
    for slot, upload in uploads:
        try:
            data = upload.file.read(settings.upload_max_bytes + 1)
            clean = strip_image_metadata(
                data, max_bytes=settings.upload_max_bytes, max_pixels=settings.upload_max_pixels
            )
        except ImageRejected as exc:
            image_errors[f"image_{slot}"] = f"{exc} Please choose another file."
            continue
        images.append((clean, checked.captions[slot - 1]))
    if image_errors:
        return again(image_errors, _NOT_SAVED)
    code = create_submission(
        session=session,
        checked=checked,
        images=images,
        target_deployment_id=deployment.id if deployment is not None else None,
        data_dir=settings.data_dir,
    )
    context = {"code": code, "deployment": deployment, "image_count": len(images)}
    return render(
        request, "submit/received.html", context, htmx=htmx, headers=NO_STORE,
    )


_NOT_SAVED = "Your submission was not saved yet: please look at the marked fields."
_TOO_MANY_FROM_HERE = (
    "Too many submissions have come from your connection in the last hour, so this one was "
    "not saved. Please try again in an hour; everything you typed is still here."
)
_TOO_MANY = (
    "We are receiving an unusual number of submissions, so this one was not saved. Please try "
    "again in an hour; everything you typed is still here."
)


# --- htmx helpers: inline checks and similar records -------------------------------------------


@router.post("/submit/check", name="submit_check", dependencies=POST_GUARDS)
def submit_check(request: Request, form: FormDep, session: SessionDep, htmx: HtmxDep) -> Response:
    """One field, re-rendered with its error (if any) after the person leaves it."""
    name = request.headers.get("HX-Trigger-Name", "")
    if not htmx.partial:
        return RedirectResponse(path_for(request, "submit"), status_code=303)
    if name not in submit_form.FIELDS:
        return Response(status_code=204, headers=NO_STORE)
    values = _texts(form)
    kind = values.get("kind") or "new_deployment"
    _checked, errors = validate_submission(
        kind=kind if kind in ("new_deployment", "correction", "new_source") else "new_deployment",
        fields=values,
        capabilities=_capabilities(form),
        image_count=IMAGE_SLOTS,  # the photos are not sent with a check
    )
    return _form_page(
        request, template="submit/submit.html", htmx=htmx, session=session, values=values,
        errors={name: errors[name]} if name in errors else {}, fragment="field_check",
        extra={"check_field": submit_form.FIELDS[name]},
    )


@router.post("/submit/similar", name="submit_similar", dependencies=POST_GUARDS)
def submit_similar(request: Request, form: FormDep, session: SessionDep, htmx: HtmxDep) -> Response:
    if not htmx.partial:
        return RedirectResponse(path_for(request, "submit"), status_code=303)
    values = _texts(form)
    return _form_page(
        request, template="submit/submit.html", htmx=htmx, session=session, values=values,
        fragment="similar_records",
    )


# --- receipts ---------------------------------------------------------------------------------


@router.get("/receipt", name="receipt")
def receipt_page(request: Request, htmx: HtmxDep) -> Response:
    context: dict[str, Any] = {"status": None, "errors": {}, "typed": ""}
    return render(request, "submit/receipt.html", context, htmx=htmx, headers=NO_STORE)


@router.post("/receipt", name="receipt_lookup", dependencies=POST_GUARDS)
def receipt_lookup(
    request: Request, form: FormDep, session: SessionDep, htmx: HtmxDep
) -> Response:
    raw = form.get("code")
    typed = raw.strip()[:100] if isinstance(raw, str) else ""
    status = submission_status(session=session, receipt_code=typed) if typed else None
    errors: dict[str, str] = {}
    if not typed:
        errors["code"] = "Enter the receipt code you were given."
    elif status is None:
        errors["code"] = (
            "No submission has this code. Check it for typing mistakes; "
            "the code has 20 letters and digits."
        )
    context = {"status": status, "errors": errors, "typed": typed if errors else ""}
    return render(
        request, "submit/receipt.html", context, htmx=htmx,
        status_code=422 if errors else 200, headers=NO_STORE,
    )


# --- evidence images --------------------------------------------------------------------------


@router.get("/evidence/{file_name}", name="evidence_image")
def evidence_image(file_name: str, session: SessionDep, settings: SettingsDep) -> Response:
    image = public_evidence_image(session=session, file_name=file_name)
    path = evidence_file(data_dir=settings.data_dir, image=image) if image else None
    if image is None or path is None or not path.is_file():
        raise HTTPException(404, "There is no public image at this address.")
    return FileResponse(
        path,
        media_type=image.content_type,
        headers={
            "Content-Disposition": f'inline; filename="{image.file_name}"',
            "Cache-Control": "public, max-age=86400",
            # An image is never a document: no scripts, no plugins, even if opened directly.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
