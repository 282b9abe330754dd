"""`safecity backup`: one zip with the database and the evidence images that restores to the
same data (SQLite by copying the file, PostgreSQL with pg_restore), readable by its owner only,
dated to the hour, and one clear line when it cannot be made."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import subprocess
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_runner import safecity_on
from conftest import REQUIRE_POSTGRES, Backends, _pg_admin, _pg_url
from evidence_images import jpeg_with_metadata
from factories import make_deployment, make_source
from moderation_data import make_submission
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app import migrate
from app.db import create_db_engine
from app.services.images import store_evidence_image, strip_image_metadata
from app.services.ratelimit import hit

REPO = Path(__file__).resolve().parents[1]
TABLES = ("deployment", "source", "deployment_source", "submission", "submission_contact")


def run_backup(cwd: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return safecity_on(database_url, "backup", *args, cwd=cwd)

def _contents(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
            for table in TABLES
        }


@pytest.fixture
def site(tmp_path: Path, session: Session, engine: Engine) -> dict[str, object]:
    """Records, a pending submission with a contact address, one evidence image, and a
    rate-limit bucket (which no backup keeps)."""
    source = make_source(session, "Cameras in Belgrade", url="https://news.example/a")
    make_deployment(session, "Belgrade Safe City", sources=[source])
    make_submission(session, contact="at-risk@example.org")
    clean = strip_image_metadata(jpeg_with_metadata(), max_bytes=10**6, max_pixels=10**7)
    image = store_evidence_image(
        data_dir=tmp_path / "data", image=clean, stamp=datetime(2026, 3, 4, 15, tzinfo=UTC)
    )
    # An upload still being written (images.write_evidence_file's temporary name) is left out.
    (tmp_path / "data" / "evidence" / ".upload-partial").write_bytes(b"half")
    contents = _contents(engine)
    hit(session=session, secret="s", scope="submit", key="203.0.113.9", limit=10, commit=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rate_limit_bucket")).scalar_one() == 1
    return {"image": image.file_name, "bytes": clean.data, "contents": contents}


def test_backup_restores_to_the_same_data(
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    site: dict[str, object],
    backends: Backends,
) -> None:
    target = tmp_path / "backups" / "b.zip"
    started = datetime.now(UTC)
    result = run_backup(tmp_path, database_url, "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Backed up ")
    assert "1 evidence images" in result.stdout and "readable by you only" in result.stdout
    # Owner-only, and nothing left behind beside it (no scratch folder, no partial zip).
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["b.zip"]

    postgres = make_url(database_url).get_backend_name() == "postgresql"
    member = "safecity.pgdump" if postgres else "safecity.sqlite3"
    with zipfile.ZipFile(target) as zipped:
        names = zipped.namelist()
        assert names == [member, f"evidence/{site['image']}", "backup.json", "RESTORE.txt"]
        # Every entry is dated to the hour of the backup: no upload time leaks through.
        hour = started.replace(minute=0, second=0, microsecond=0)
        stamps = {info.date_time for info in zipped.infolist()}
        # The run may cross an hour.
        hours = (hour, hour + timedelta(hours=1))
        assert stamps <= {(h.year, h.month, h.day, h.hour, 0, 0) for h in hours}
        assert zipped.read(f"evidence/{site['image']}") == site["bytes"]
        manifest = json.loads(zipped.read("backup.json"))
        assert "pg_restore" in zipped.read("RESTORE.txt").decode()
        zipped.extract(member, tmp_path / "restored")
    assert manifest["schema_revision"] == migrate.current_revision(engine)
    assert manifest["evidence_images"] == 1
    assert manifest["database"] == ("postgresql" if postgres else "sqlite")

    dump = tmp_path / "restored" / member
    if postgres:
        restored_url = _restore_postgres(dump, backends)
    else:
        restored_url = f"sqlite:///{dump}"
        assert not Path(f"{dump}-wal").exists()  # one self-contained file
    restored = create_db_engine(restored_url)
    try:
        assert _contents(restored) == site["contents"]
        # The contact details are in the backup too: which is why it is owner-only.
        assert ("at-risk@example.org",) in [
            row[-1:] for row in _contents(restored)["submission_contact"]
        ]
        with restored.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM rate_limit_bucket")).scalar_one() == 0
    finally:
        restored.dispose()


def _restore_postgres(dump: Path, backends: Backends) -> str:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        message = "pg_restore is not on PATH"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    name = f"safecity_restore_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    backends.pg_databases.append(name)  # dropped at the end of the run
    url = _pg_url(name)
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    done = subprocess.run(
        [pg_restore, "--no-owner", "--no-privileges", f"--dbname={libpq}", str(dump)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return url


def test_backup_never_overwrites_and_failures_are_one_line(
    tmp_path: Path, database_url: str, site: dict[str, object]
) -> None:
    existing = tmp_path / "existing.zip"
    existing.write_bytes(b"an older backup")
    result = run_backup(tmp_path, database_url, "--output", str(existing))
    assert result.returncode == 1
    assert result.stderr.startswith("safecity: error: cannot back up ")
    assert "already exists; choose another --output" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert existing.read_bytes() == b"an older backup"


def test_backup_of_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "nested" / "db.sqlite3"
    (tmp_path / "no-such-folder").write_text("a file where a folder should be")
    result = run_backup(tmp_path, f"sqlite:///{missing}", "--output", str(tmp_path / "b.zip"))
    assert result.returncode == 1
    assert result.stderr.startswith("safecity: error: ")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "b.zip").exists()


def test_backup_of_a_missing_or_empty_database_is_refused(tmp_path: Path) -> None:
    """A mistyped path must not give an empty "backup" (opening a SQLite URL creates a file)."""
    missing = tmp_path / "data" / "typo.sqlite3"
    result = run_backup(tmp_path, f"sqlite:///{missing}", "--output", str(tmp_path / "b.zip"))
    assert result.returncode == 1
    assert "no SQLite database file at" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not missing.exists() and not (tmp_path / "b.zip").exists()
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    result = run_backup(tmp_path, f"sqlite:///{empty}", "--output", str(tmp_path / "b.zip"))
    assert result.returncode == 1
    assert "no tables: nothing to back up" in result.stderr
    assert not (tmp_path / "b.zip").exists()
