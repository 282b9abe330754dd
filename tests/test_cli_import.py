"""`safecity import FILE [--dry-run] [--format]`: the real command, in a subprocess.

Exit status: 0 when every row was imported or unchanged, 1 when any row was refused, 2 when
the file cannot be used. The services are tested on both backends (tests/services/
test_imports.py); the command itself does not depend on the backend, so SQLite suffices.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_runner import safecity_on
from import_data import CRAFTED_ATLAS, atlas_file, atlas_row
from sqlmodel import Session, select

from app.models import Deployment, Revision

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
REPO = Path(__file__).resolve().parents[1]


def run_import(cwd: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return safecity_on(database_url, "import", *args, cwd=cwd)

def counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (len(session.exec(select(Deployment)).all()), len(session.exec(select(Revision)).all()))


def test_dry_run_then_import_then_import_again(
    tmp_path: Path, database_url: str, session: Session
) -> None:
    path = tmp_path / "atlas.csv"
    path.write_bytes(CRAFTED_ATLAS)

    dry = run_import(tmp_path, database_url, str(path), "--dry-run")
    assert dry.returncode == 1, dry.stderr  # rows were refused
    lines = dry.stdout.splitlines()
    assert lines[0].startswith("Dry run of atlas.csv (Atlas of Surveillance layout) into ")
    assert lines[0].endswith(": nothing was written.")
    assert lines[1] == "3 new, 0 updated, 0 unchanged, 6 refused."
    assert "row 2: new — Face Recognition — Springfield Police Department" in lines
    assert "  will create vendor 'Clearview AI'" in lines
    assert "row 3: refused — unknown technology 'Psychic Detection' (no matching capability)" \
        in lines
    assert "row 5: refused — duplicate of row 2 (the same record)" in lines
    assert counts(session) == (0, 0)

    done = run_import(tmp_path, database_url, str(path))
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[1] == "3 new, 0 updated, 0 unchanged, 6 refused."
    record = session.exec(select(Deployment).where(Deployment.external_ref == "aos:AOS000001")
                          ).one()
    assert f"row 2: new #{record.id} — Face Recognition — Springfield Police Department" \
        in done.stdout.splitlines()
    assert "  created vendor 'Clearview AI'" in done.stdout.splitlines()
    assert counts(session) == (3, 3)
    revision = session.exec(select(Revision).where(Revision.entity_id == record.id)).one()
    assert revision.actor_label == "import atlas.csv"

    again = run_import(tmp_path, database_url, str(path))
    assert again.returncode == 1
    assert again.stdout.splitlines()[1] == "0 new, 0 updated, 3 unchanged, 6 refused."
    assert f"row 2: unchanged #{record.id}" in again.stdout.splitlines()
    assert counts(session) == (3, 3)


def test_a_clean_import_exits_zero_and_reports_updates(
    tmp_path: Path, database_url: str, session: Session
) -> None:
    path = tmp_path / "clean.csv"
    path.write_bytes(atlas_file(atlas_row("AOS1")))
    first = run_import(tmp_path, database_url, "--format", "atlas", str(path))
    assert (first.returncode, first.stderr) == (0, "")
    path.write_bytes(atlas_file(atlas_row("AOS1", Summary="Newer summary.")))
    second = run_import(tmp_path, database_url, str(path))
    assert second.returncode == 0
    record = session.exec(select(Deployment)).one()
    assert f"row 2: updated #{record.id} — summary" in second.stdout.splitlines()
    assert record.summary == "Newer summary."


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"\x00\x01binary", (), "This is not a CSV file: it holds binary data."),
        (b"a,b\r\n1,2\r\n", (), "This is not a file we can import"),
        (CRAFTED_ATLAS, ("--format", "native"), "missing columns of our export's layout"),
        (None, (), "cannot read "),
    ],
)
def test_unusable_files_exit_2_with_one_line(
    tmp_path: Path, database_url: str, content: bytes | None, args: tuple[str, ...],
    message: str,
) -> None:
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_bytes(content)
    result = run_import(tmp_path, database_url, *args, str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("safecity: error: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unknown_format_is_a_usage_error(tmp_path: Path, database_url: str) -> None:
    result = run_import(tmp_path, database_url, "--format", "excel", "x.csv")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "--format" in result.stderr
