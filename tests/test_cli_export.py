"""`safecity export` and /downloads/safecity-watch-data.zip: the whole dataset as one zip, whose
CSV gives back every deployment field exactly (export -> read is a round trip)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bs4 import BeautifulSoup
from cli_runner import safecity_on
from factories import make_deployment
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.models import Deployment
from app.services import archive
from app.services.demo import load_demo
from app.services.export_formats import COLUMNS, HEADER, restore_cell
from app.services.exports import FIELD_NAMES

REPO = Path(__file__).resolve().parents[1]
MEMBERS = [
    "deployments.csv",
    "deployments.json",
    "deployments.geojson",
    "DATA-DICTIONARY.md",
    "LICENSE-DATA.txt",
]


def run_export(cwd: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return safecity_on(database_url, "export", *args, cwd=cwd)

def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return repr(value) if isinstance(value, float) else str(value)


def test_export_command_writes_the_whole_dataset(
    tmp_path: Path, database_url: str, session: Session
) -> None:
    load_demo(session=session)
    make_deployment(
        session,
        "=cmd|' /C calc'!A0",
        slug="formula",
        state="archived",
        latitude=1.5,
        longitude=-2.25,
        summary='Two\n\nparagraphs, "quoted"; and; semicolons',
    )
    target = tmp_path / "out.zip"
    result = run_export(
        tmp_path, database_url, "--output", str(target), "--base-url", "https://w.example/"
    )
    assert result.returncode == 0, result.stderr
    deployments = list(session.exec(select(Deployment).order_by(Deployment.id)))
    assert result.stdout.startswith(f"Wrote {len(deployments)} records from ")
    with zipfile.ZipFile(target) as zipped:
        assert zipped.namelist() == MEMBERS
        text = zipped.read("deployments.csv").decode("utf-8")
        data = json.loads(zipped.read("deployments.json"))
        geo = json.loads(zipped.read("deployments.geojson"))
        dictionary = zipped.read("DATA-DICTIONARY.md").decode()
        licence = zipped.read("LICENSE-DATA.txt").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    # Archived records are part of the dataset; every deployment field comes back exactly.
    assert [int(r["id"]) for r in rows] == [d.id for d in deployments]
    for row, deployment in zip(rows, deployments, strict=True):
        for name in FIELD_NAMES:
            assert restore_cell(row[name]) == _cell(getattr(deployment, name)), (
                deployment.id,
                name,
            )
        assert row["url"] == f"https://w.example/deployments/{deployment.id}-{deployment.slug}"
    assert data["count"] == len(deployments) and data["query"] == {}
    assert geo["metadata"]["count"] + geo["metadata"]["without_coordinates"] == len(deployments)
    for column in COLUMNS:
        assert f"| `{column.name}` |" in dictionary
    assert list(HEADER) == text.splitlines()[0].split(",")
    assert "CC BY 4.0" in licence and "https://creativecommons.org/licenses/by/4.0/" in licence


def test_export_command_errors_are_one_line(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    result = run_export(tmp_path, database_url, "--output", str(tmp_path / "no" / "such" / "x.zip"))
    assert result.returncode == 1
    assert result.stderr.startswith("safecity: error: cannot use ")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_site_serves_a_current_archive(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    record = make_deployment(session, "Belgrade Safe City")
    about = BeautifulSoup(client.get("/about").text, "html.parser")
    href = about.select_one("#data-download a")["href"]
    assert href == "/downloads/safecity-watch-data.zip"
    first = client.get(href)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/zip"
    today = datetime.now(UTC).date().isoformat()
    assert f'filename="safecity-watch-data-{today}.zip"' in first.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(first.content)) as zipped:
        assert zipped.namelist() == MEMBERS
        assert "Belgrade Safe City" in zipped.read("deployments.csv").decode()
    folder = client.app.state.settings.data_dir / "downloads"  # type: ignore[attr-defined]
    copies = sorted(folder.glob("*.zip"))
    assert client.get(href).content == first.content  # unchanged records: the same copy
    assert sorted(folder.glob("*.zip")) == copies
    record.title = "Belgrade Safe City, renamed"
    record.updated_at = datetime.now(UTC)  # as the editing service does
    session.add(record)
    session.commit()
    with zipfile.ZipFile(io.BytesIO(client.get(href).content)) as zipped:
        assert "renamed" in zipped.read("deployments.csv").decode()
    assert not list(folder.glob(".partial-*"))


def test_archive_older_than_a_day_is_rebuilt(session: Session, tmp_path: Path) -> None:
    make_deployment(session, "Record")
    urls = archive.record_url_for("https://w.example")
    now = datetime.now(UTC)
    first = archive.current_archive(
        session=session, folder=tmp_path, record_url=urls, search_url="", now=now
    )
    same = archive.current_archive(
        session=session,
        folder=tmp_path,
        record_url=urls,
        search_url="",
        now=now + timedelta(hours=23),
    )
    later = archive.current_archive(
        session=session,
        folder=tmp_path,
        record_url=urls,
        search_url="",
        now=now + timedelta(hours=25),
    )
    assert same == first and later != first
    assert sorted(tmp_path.glob("*.zip")) == sorted([first, later])
