"""`safecity backup`: the database and the evidence images as one zip, to restore from.

SQLite: the online backup API copies a consistent snapshot while the site keeps serving (WAL
readers and writers are not blocked), then the copy is checked (`PRAGMA quick_check`).
PostgreSQL: pg_dump's custom format (a pg_dump as new as the server must be on PATH), restored
with pg_restore. Evidence images (the data folder's evidence/) are copied after the database
snapshot: an image erased in between is missing from the zip, one uploaded in between is extra;
neither stops a restore, and the database is what counts.

The zip holds what the site holds, pending submitters' contact details included, so it is
created readable by its owner only (0600), in a 0700 scratch folder beside the target until it
is complete (a backup killed midway can leave that folder behind: delete it). The rate-limit
buckets are left out: their keyed hashes of client addresses live at most an hour on the site. Every
entry is dated to the hour of the backup, as evidence files themselves are, so the zip does not
reveal when an image was uploaded. The secret key is not included (it is configuration, and
whoever holds it can forge CSRF tokens); RESTORE.txt in the zip says how to restore.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from app import migrate
from app.db import create_db_engine
from app.services.images import EVIDENCE_FOLDER, evidence_dir

SQLITE_MEMBER = "safecity.sqlite3"
POSTGRES_MEMBER = "safecity.pgdump"
MANIFEST = "backup.json"
RESTORE = "RESTORE.txt"
RATE_LIMITS = "rate_limit_bucket"  # left out of every backup (see _drop_rate_limits)

RESTORE_TEXT = f"""\
Restoring a Safe City Watch backup
==================================

Stop the site first. Then, from the folder that holds this zip's contents:

SQLite ({SQLITE_MEMBER}):
  1. Move the current database file aside (and its -wal and -shm files, if any).
  2. Copy {SQLITE_MEMBER} to the database path (SAFECITY_DATABASE_URL's file, or
     data/safecity.sqlite3).
  3. Copy the evidence/ folder into the data folder (SAFECITY_DATA_DIR, default ./data).
  4. Run `safecity db upgrade` (a no-op unless this backup is older than the code), then start
     the site.

PostgreSQL ({POSTGRES_MEMBER}):
  1. Create an empty database, e.g. `createdb safecity_restored`.
  2. pg_restore --no-owner --no-privileges \\
       --dbname=postgresql://USER@HOST:PORT/safecity_restored {POSTGRES_MEMBER}
  3. Copy the evidence/ folder into the data folder, point SAFECITY_DATABASE_URL at the new
     database, run `safecity db upgrade`, then start the site.

The secret key is not in this backup: keep SAFECITY_SECRET_KEY (or data/secret_key) as you
keep other secrets. With a new key, forms already open in someone's browser have to be sent
again; nothing stored is lost.

This file holds everything the site holds, including the contact details of submitters whose
submissions were not yet decided. Store it as carefully as the server itself.
"""


class BackupError(Exception):
    """A backup that cannot be made; the message is one line for the operator."""


@dataclass(frozen=True)
class BackupSummary:
    target: Path
    database: str  # "sqlite" or "postgresql"
    schema_revision: str | None
    images: int
    size_bytes: int


def write_backup(
    *, database_url: str, data_dir: Path, target: Path, now: datetime
) -> BackupSummary:
    """Write the backup zip to `target`, which must not exist yet."""
    if target.exists():
        raise BackupError(f"{target} already exists; choose another --output")
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database")
    if backend == "sqlite" and not Path(url.database or "").is_file():
        # Checked before connecting: opening a SQLite URL creates an empty file.
        raise BackupError(f"no SQLite database file at {url.database or '(none)'}")
    engine = create_db_engine(database_url)
    try:
        revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    if revision is None:
        raise BackupError("the database has no tables: nothing to back up")
    hour = now.replace(minute=0, second=0, microsecond=0)
    stamp = (hour.year, hour.month, hour.day, hour.hour, 0, 0)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _scratch(target.parent) as scratch:
        if backend == "sqlite":
            member = SQLITE_MEMBER
            _snapshot_sqlite(url.database or "", scratch / member)
        else:
            member = POSTGRES_MEMBER
            _dump_postgres(database_url, scratch / member)
        partial = scratch / "backup.zip"
        handle = os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        with handle, zipfile.ZipFile(handle, "w") as archive:
            _add_file(archive, scratch / member, member, stamp, compress=True)
            images = 0
            folder = evidence_dir(data_dir)
            for path in sorted(folder.iterdir()) if folder.is_dir() else []:
                # Dot-files are uploads still being written (images.write_evidence_file).
                if path.is_file() and not path.name.startswith("."):
                    _add_file(archive, path, f"{EVIDENCE_FOLDER}/{path.name}", stamp)
                    images += 1
            manifest = {
                "created_at": hour.isoformat(),
                "database": backend,
                "database_file": member,
                "schema_revision": revision,
                "evidence_images": images,
            }
            _add_text(archive, MANIFEST, json.dumps(manifest, indent=2) + "\n", stamp)
            _add_text(archive, RESTORE, RESTORE_TEXT, stamp)
        size = partial.stat().st_size
        try:
            os.link(partial, target)  # complete or not there at all, and never over a file
        except FileExistsError:
            raise BackupError(f"{target} already exists; choose another --output") from None
    return BackupSummary(
        target=target, database=backend, schema_revision=revision, images=images, size_bytes=size
    )


@contextmanager
def _scratch(folder: Path) -> Iterator[Path]:
    """A private (0700) scratch folder beside the target, so the final rename stays on one
    file system; removed with whatever is left in it."""
    path = Path(tempfile.mkdtemp(prefix=".safecity-backup-", dir=folder))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _snapshot_sqlite(database: str, copy: Path) -> None:
    if not database or database == ":memory:" or not Path(database).is_file():
        raise BackupError(f"no SQLite database file at {database or '(none)'}")
    source = sqlite3.connect(database)
    try:
        destination = sqlite3.connect(copy)
        try:
            source.backup(destination)
            # The copy is the database that will be restored: it must be a sound one.
            result = destination.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise BackupError(f"the copy of {database} failed its integrity check")
            _drop_rate_limits(destination)
            destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            destination.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the SQLite database {database}: {exc}") from None
    finally:
        source.close()


def _drop_rate_limits(copy: sqlite3.Connection) -> None:
    """Empty the rate-limit buckets in the copy: keyed hashes of client addresses that the site
    purges within the hour must not outlive it in a backup (PRODUCT.md, guarantee 1)."""
    exists = copy.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (RATE_LIMITS,)
    ).fetchone()
    if exists:
        copy.execute("PRAGMA secure_delete = ON")  # the freed pages are zeroed, not left as-is
        with copy:
            copy.execute(f"DELETE FROM {RATE_LIMITS}")  # noqa: S608 (a constant name)


def _dump_postgres(database_url: str, dump: Path) -> None:
    url = make_url(database_url)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not on PATH; install the PostgreSQL client tools")
    # libpq's own URL, without the password: that goes through the environment, where `ps`
    # does not show it.
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    command = [
        pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}",
        f"--exclude-table-data={RATE_LIMITS}",  # as _drop_rate_limits, for PostgreSQL
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 (a fixed program; the URL is one argument)
        [*command, f"--dbname={libpq}"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
        raise BackupError(f"pg_dump failed: {reason}")


def _add_file(
    archive: zipfile.ZipFile,
    path: Path,
    name: str,
    stamp: tuple[int, int, int, int, int, int],
    *,
    compress: bool = False,
) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    # Images are compressed already; the database compresses well.
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as member:
        shutil.copyfileobj(source, member, 1 << 20)


def _add_text(
    archive: zipfile.ZipFile, name: str, text: str, stamp: tuple[int, int, int, int, int, int]
) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    archive.writestr(info, text)
