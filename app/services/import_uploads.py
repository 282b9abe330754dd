"""Imports from /staff/import: the uploaded file, kept between the dry run and the
confirmation, and the audit entry of a confirmed import.

The app keeps no state in memory between requests (several instances may serve one site), so
an uploaded file waits in the data folder under a random name; the report page carries that
name and the file's sha256, and the confirmation imports the file only if both still match
(the admin confirms exactly what they read). The file is deleted once imported; files
nobody confirmed are deleted after a day.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from app.models import AuditEntry, User
from app.services import audit
from app.services.imports import ImportReport

FOLDER = "imports"
MAX_AGE_SECONDS = 24 * 60 * 60
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UploadGone(Exception):
    """The stored upload is missing, expired, or not the file the report was made from."""


@dataclass(frozen=True, slots=True)
class StoredUpload:
    token: str
    sha256: str


def _folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def store_upload(*, data_dir: Path, data: bytes) -> StoredUpload:
    folder = _folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(16)
    path = folder / f"{token}.csv"
    # Readable by the app only: an import file may hold unpublished research.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return StoredUpload(token=token, sha256=hashlib.sha256(data).hexdigest())


def _path(data_dir: Path, token: str) -> Path:
    if not _TOKEN.match(token):
        raise UploadGone("This upload is not known.")
    return _folder(data_dir) / f"{token}.csv"


def load_upload(*, data_dir: Path, token: str, sha256: str) -> bytes:
    """The stored file's bytes, if it still exists, is under a day old, and has this hash."""
    path = _path(data_dir, token)
    try:
        if time.time() - path.stat().st_mtime > MAX_AGE_SECONDS:
            path.unlink(missing_ok=True)
            raise UploadGone("This upload has expired.")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UploadGone("This upload is no longer stored.") from None
    if not _SHA256.match(sha256) or hashlib.sha256(data).hexdigest() != sha256:
        raise UploadGone("This upload is not the file the report was made from.")
    return data


def discard_upload(*, data_dir: Path, token: str) -> None:
    with contextlib.suppress(UploadGone):
        _path(data_dir, token).unlink(missing_ok=True)


def purge_uploads(*, data_dir: Path, now: float | None = None) -> int:
    """Delete uploads older than a day; returns how many went."""
    folder = _folder(data_dir)
    if not folder.is_dir():
        return 0
    limit = (time.time() if now is None else now) - MAX_AGE_SECONDS
    removed = 0
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


# --- the audit trail of imports from the web ---------------------------------------------------

AUDIT_ACTION = "import"


def record_import(*, session: Session, report: ImportReport, actor: User, format: str
                  ) -> AuditEntry:
    """The audit entry for an import a staff member confirmed; the caller commits it with the
    import (apply_import(commit=False))."""
    detail: dict[str, audit.Scalar] = {"file": report.filename[:100], "format": format}
    for action, count in report.counts.items():
        detail[action] = count
    return audit.record(session=session, actor=actor, action=AUDIT_ACTION,
                        target=f"file {report.filename}"[:120], detail=detail)


def recorded_import(*, session: Session, entry_id: int) -> tuple[AuditEntry, User | None] | None:
    """An import's audit entry with the staff member who made it, or None."""
    if not 0 < entry_id < 2**63:
        return None
    entry = session.get(AuditEntry, entry_id)
    if entry is None or entry.action != AUDIT_ACTION:
        return None
    return entry, session.get(User, entry.actor_id) if entry.actor_id is not None else None
