"""Imports for administrators: /staff/import — upload a CSV, read the dry run, confirm.

1. GET /staff/import: the upload form (our CSV export or the Atlas of Surveillance CSV).
2. POST /staff/import: the file is read and planned against the database (nothing written);
   the report page lists what would happen. When something would change, the file waits in
   the data folder (app/services/import_uploads.py) and the page carries its name and sha256.
3. POST /staff/import/confirm: the same file, planned again and imported in one transaction
   with a revision per changed record and one audit entry; then 303 to the result page.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from app.security import verify_csrf
from app.services.import_files import FORMATS, MAX_BYTES, ImportFileError, read_import
from app.services.import_uploads import (
    UploadGone,
    discard_upload,
    load_upload,
    purge_uploads,
    record_import,
    recorded_import,
    store_upload,
)
from app.services.imports import ImportPlan, apply_import, plan_import
from app.web.deps import AdminDep, Htmx, HtmxDep, SessionDep, SettingsDep
from app.web.templating import path_for, render

NO_STORE = {"Cache-Control": "no-store"}
SHOWN_ROWS = 1000  # a longer report is cut here; `safecity import --dry-run` lists every row
FORMAT_LABELS = {
    "auto": "Tell from the header",
    "native": "Our own CSV export",
    "atlas": "Atlas of Surveillance CSV",
}


def limit_body(request: Request) -> None:
    """Refuse an oversized upload before any of it is read."""
    length = request.headers.get("Content-Length", "")
    if not length.isdigit() or int(length) > MAX_BYTES + 1024 * 1024:
        raise HTTPException(
            413, f"This file is too large to import here; the limit is {MAX_BYTES // 2**20} MB."
        )


async def read_upload_form(request: Request) -> FormData:
    return await request.form(max_files=1, max_fields=10)


router = APIRouter(include_in_schema=False)
post_router = APIRouter(include_in_schema=False,
                        dependencies=[Depends(limit_body), Depends(verify_csrf)])
UploadFormDep = Annotated[FormData, Depends(read_upload_form)]


def _form_page(request: Request, htmx: Htmx, *, errors: dict[str, str] | None = None,
               layout: str = "auto", status: int = 200) -> Response:
    context = {"errors": errors or {}, "layout": layout, "formats": FORMAT_LABELS,
               "limit_mb": MAX_BYTES // 2**20}
    return render(request, "staff/import.html", context, htmx=htmx, status_code=status,
                  headers=NO_STORE)


def _filename(name: str | None) -> str:
    """The uploaded file's own name, as it may appear in revisions and the audit log."""
    base = PurePath((name or "").replace("\\", "/")).name
    cleaned = " ".join("".join(ch for ch in base if ch.isprintable()).split())
    return cleaned[:100] or "upload.csv"


@router.get("/staff/import", name="staff_import")
def import_form(request: Request, settings: SettingsDep, admin: AdminDep,
                htmx: HtmxDep) -> Response:
    purge_uploads(data_dir=settings.data_dir)
    return _form_page(request, htmx)


@post_router.post("/staff/import", name="staff_import_check")
def check_import(request: Request, session: SessionDep, settings: SettingsDep, admin: AdminDep,
                 htmx: HtmxDep, form: UploadFormDep) -> Response:
    purge_uploads(data_dir=settings.data_dir)
    raw_layout = form.get("format")
    layout = raw_layout if isinstance(raw_layout, str) and raw_layout in FORMATS else ""
    upload = form.get("file")
    errors: dict[str, str] = {}
    if not layout:
        errors["format"] = "Pick one of the layouts."
    if not isinstance(upload, UploadFile) or not (upload.filename or upload.size):
        errors["file"] = "Choose a CSV file to import."
    if errors or not isinstance(upload, UploadFile):
        return _form_page(request, htmx, errors=errors, layout=layout or "auto", status=422)
    data = upload.file.read(MAX_BYTES + 1)
    try:
        parsed = read_import(data, format=layout)
    except ImportFileError as exc:
        return _form_page(request, htmx, errors={"file": str(exc)}, layout=layout, status=422)
    filename = _filename(upload.filename)
    plan = plan_import(session=session, file=parsed, filename=filename)
    stored = store_upload(data_dir=settings.data_dir, data=data) if plan.changes_anything else None
    context: dict[str, Any] = {
        "plan": plan,
        "shown": [row for row in plan.rows if row.action != "unchanged"][:SHOWN_ROWS],
        "layout_label": FORMAT_LABELS[plan.format],
        "stored": stored,
    }
    return render(request, "staff/import_report.html", context, htmx=htmx, headers=NO_STORE)


@post_router.post("/staff/import/confirm", name="staff_import_confirm")
def confirm_import(
    request: Request, session: SessionDep, settings: SettingsDep, admin: AdminDep, htmx: HtmxDep,
    token: Annotated[str, Form(max_length=64)] = "",
    sha256: Annotated[str, Form(max_length=64)] = "",
    filename: Annotated[str, Form(max_length=200)] = "",
    layout: Annotated[str, Form(alias="format", max_length=16)] = "",
) -> Response:
    try:
        data = load_upload(data_dir=settings.data_dir, token=token, sha256=sha256)
        parsed = read_import(data, format=layout if layout in FORMATS else "auto")
    except (UploadGone, ImportFileError) as exc:
        message = f"{exc} Upload the file again to see a new report."
        return _form_page(request, htmx, errors={"file": message}, status=422)
    plan: ImportPlan = plan_import(session=session, file=parsed, filename=_filename(filename))
    report = apply_import(session=session, plan=plan, actor=admin, commit=False)
    entry = record_import(session=session, report=report, actor=admin, format=parsed.format)
    session.commit()
    discard_upload(data_dir=settings.data_dir, token=token)
    target = path_for(request, "staff_import_result", entry_id=entry.id)
    return RedirectResponse(target, status_code=303)


@router.get("/staff/import/done/{entry_id}", name="staff_import_result")
def import_result(request: Request, session: SessionDep, admin: AdminDep, htmx: HtmxDep,
                  entry_id: int) -> Response:
    found = recorded_import(session=session, entry_id=entry_id)
    if found is None:
        raise HTTPException(404, "There is no import with this number.")
    entry, actor = found
    return render(request, "staff/import_done.html", {"entry": entry, "actor": actor},
                  htmx=htmx)


router.include_router(post_router)
