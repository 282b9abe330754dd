"""The full dataset as one zip: CSV, JSON, GeoJSON, the data dictionary and the data licence.

`safecity export` writes it to a file; the site serves a current copy kept in the data folder
(`current_archive`), rebuilt when the records have changed (their number, the latest
`updated_at` or the latest revision) or when the copy is more than a day old, so a change that
touches none of these (a vendor renamed) shows within a day. Files are written under a
temporary name and renamed into place, so a reader never sees half an archive and several
processes may share the folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import Deployment, Revision
from app.services import export_formats as formats
from app.services.catalog import PUBLIC_STATES
from app.services.exports import ExportRecord, iter_records, public_statement
from app.services.flat_rows import FlatRow, iter_flat

ARCHIVE_PREFIX = "safecity-watch-data"
MAX_AGE = timedelta(days=1)
KEEP = 2  # the newest copies kept: a download may still be reading the one before

LICENCE_TEXT = f"""Safe City Watch data
====================

The data in this archive (deployments.csv, deployments.json, deployments.geojson) is published
under the Creative Commons Attribution 4.0 International licence (CC BY 4.0):
{formats.LICENCE_URL}

You are free to share (copy and redistribute the material in any medium or format) and adapt
(remix, transform, and build upon the material) for any purpose, even commercially, under the
following terms:

  Attribution - You must give appropriate credit ("Safe City Watch", with a link to the record
  or to the database), provide a link to the licence, and indicate if changes were made.

  No additional restrictions - You may not apply legal terms or technological measures that
  legally restrict others from doing anything the licence permits.

The full legal code is at https://creativecommons.org/licenses/by/4.0/legalcode

Demo records (is_demo = true) were built from news articles to show how the database works;
check them against their sources before relying on them.
"""


def record_url_for(origin: str) -> formats.RecordUrl:
    """Record links for an archive made outside a request: the public URL contract
    (PRODUCT.md), `/deployments/{id}-{slug}`, under the given origin."""
    base = origin.rstrip("/")

    def url(deployment_id: int, slug: str) -> str:
        suffix = f"-{slug}" if slug and "/" not in slug else ""
        return f"{base}/deployments/{deployment_id}{suffix}"

    return url


def _public(session: Session) -> Iterator[list[ExportRecord]]:
    return iter_records(session=session, stmt=public_statement(), full=True)


def write_archive(
    *, session: Session, target: Path, record_url: formats.RecordUrl, search_url: str
) -> int:
    """Write the archive to `target` (replacing it atomically); returns the number of records."""
    generated_at = datetime.now(UTC)
    meta = formats.metadata(
        query={}, order="id", search_url=search_url, generated_at=generated_at
    )
    counted: list[int] = []

    def counting(batches: Iterable[list[FlatRow]]) -> Iterator[list[FlatRow]]:
        total = 0
        for batch in batches:
            total += len(batch)
            yield batch
        counted.append(total)

    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-", suffix=".zip")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            members = (
                (
                    "deployments.csv",
                    formats.csv_chunks(
                        counting(iter_flat(session=session, stmt=public_statement())),
                        record_url,
                    ),
                ),
                ("deployments.json", formats.json_chunks(_public(session), record_url, meta)),
                ("deployments.geojson", formats.geojson_chunks(_public(session), record_url, meta)),
            )
            stamp = generated_at.timetuple()[:6]
            for name, chunks in members:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w", force_zip64=True) as member:
                    for chunk in chunks:
                        member.write(chunk)
            archive.writestr("DATA-DICTIONARY.md", formats.data_dictionary())
            archive.writestr("LICENSE-DATA.txt", LICENCE_TEXT)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return counted[0] if counted else 0


def fingerprint(*, session: Session) -> str:
    """Changes when a public record is added, changed, archived or removed, and with every new
    revision (each change to a published record or its sources writes one)."""
    count, latest = session.execute(
        select(func.count(), func.max(Deployment.updated_at)).where(
            col(Deployment.state).in_(PUBLIC_STATES)
        )
    ).one()
    revision = session.execute(select(func.max(Revision.id))).scalar_one()
    return hashlib.sha256(f"{count}|{latest}|{revision}".encode()).hexdigest()[:12]


def current_archive(
    *,
    session: Session,
    folder: Path,
    record_url: formats.RecordUrl,
    search_url: str,
    now: datetime | None = None,
) -> Path:
    """A copy of the archive no older than MAX_AGE and made since the records last changed."""
    now = now or datetime.now(UTC)
    stamp = fingerprint(session=session)
    for path in _copies(folder):
        made = _made_at(path)
        if path.stem.endswith(f"-{stamp}") and made is not None and now - made < MAX_AGE:
            return path
        break  # only the newest copy can be current
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{ARCHIVE_PREFIX}-{now.strftime('%Y%m%dT%H%M%SZ')}-{stamp}.zip"
    target = folder / name
    write_archive(session=session, target=target, record_url=record_url, search_url=search_url)
    for old in _copies(folder)[KEEP:]:
        old.unlink(missing_ok=True)
    return target


def _copies(folder: Path) -> list[Path]:
    """Archives in the folder, newest first (their names sort by the time they were made)."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{ARCHIVE_PREFIX}-*.zip"), reverse=True)


def _made_at(path: Path) -> datetime | None:
    parts = path.stem.removeprefix(ARCHIVE_PREFIX + "-").split("-")
    try:
        return datetime.strptime(parts[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
