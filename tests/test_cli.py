"""The `safecity` command, run as a real process: clear one-line errors, never a traceback."""

from __future__ import annotations

import http.client
import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_runner import child_env, safecity
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from app.cli import app
from app.db import create_db_engine
from app.models import Deployment
from app.services.demo_data import DEMO_DEPLOYMENTS

DEMO_COUNT = len(DEMO_DEPLOYMENTS)


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("safecity: error: ")
    return lines[0]


def _demo_counts(url: str) -> tuple[int, int]:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            demo = session.exec(select(func.count()).where(col(Deployment.is_demo))).one()
            total = session.exec(select(func.count()).select_from(Deployment)).one()
    finally:
        engine.dispose()
    return demo, total


@pytest.mark.parametrize(
    "command",
    [
        [], ["serve"], ["db"], ["db", "upgrade"], ["db", "current"], ["demo"], ["demo", "load"],
        ["user", "add"], ["import"], ["export"], ["backup"],
    ],
    ids=lambda command: " ".join(command) or "safecity",
)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="safecity")
    assert result.exit_code == 0, result.output
    assert "Usage: safecity" in result.output


def test_upgrade_then_load_demo_twice(tmp_path: Path) -> None:
    first = safecity("db", "upgrade", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty" in first.stdout
    assert (tmp_path / "data" / "safecity.sqlite3").is_file()  # the default database
    current = safecity("db", "current", cwd=tmp_path)
    assert current.returncode == 0 and "up to date" in current.stdout

    loaded = safecity("demo", "load", cwd=tmp_path)
    again = safecity("demo", "load", cwd=tmp_path)

    assert loaded.returncode == 0, loaded.stderr
    assert f"{DEMO_COUNT} created" in loaded.stdout
    assert again.returncode == 0, again.stderr
    assert "already up to date" in again.stdout
    url = f"sqlite:///{tmp_path / 'data' / 'safecity.sqlite3'}"
    assert _demo_counts(url) == (DEMO_COUNT, DEMO_COUNT)


def test_upgrade_and_load_on_each_backend(tmp_path: Path, database_url: str) -> None:
    env = {"SAFECITY_DATABASE_URL": database_url}

    upgrade = safecity("db", "upgrade", cwd=tmp_path, env=env)
    first = safecity("demo", "load", "--if-empty", cwd=tmp_path, env=env)
    second = safecity("demo", "load", cwd=tmp_path, env=env)

    assert upgrade.returncode == 0 and "already at the latest schema" in upgrade.stdout
    assert first.returncode == 0 and f"{DEMO_COUNT} created" in first.stdout
    assert second.returncode == 0 and "already up to date" in second.stdout
    assert _demo_counts(database_url) == (DEMO_COUNT, DEMO_COUNT)


def test_if_empty_skips_a_database_with_real_records(tmp_path: Path, database_url: str) -> None:
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        session.add(Deployment(slug="real", title="A real record", country="RS"))
        session.commit()
    engine.dispose()

    result = safecity(
        "demo", "load", "--if-empty", cwd=tmp_path, env={"SAFECITY_DATABASE_URL": database_url}
    )

    assert result.returncode == 0, result.stderr
    assert "Skipped" in result.stdout
    assert _demo_counts(database_url) == (0, 1)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "SAFECITY_DATABASE_URL"),
        ("mysql://user@host/db", "SAFECITY_DATABASE_URL"),
        ("sqlite://", "SQLite file"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/nothing", "cannot open the database"),
    ],
)
def test_a_bad_database_url_is_one_line(tmp_path: Path, url: str, expected: str) -> None:
    result = safecity("demo", "load", cwd=tmp_path, env={"SAFECITY_DATABASE_URL": url})
    assert expected in assert_one_line_error(result)


@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "current"], ["serve"]])
def test_every_database_command_reports_a_bad_url(tmp_path: Path, command: list[str]) -> None:
    result = safecity(*command, cwd=tmp_path, env={"SAFECITY_DATABASE_URL": "not a url"})
    assert "SAFECITY_DATABASE_URL" in assert_one_line_error(result)


def test_a_database_password_is_never_printed(tmp_path: Path) -> None:
    url = "postgresql+psycopg://someone:hunter2secret@127.0.0.1:1/nothing"
    result = safecity("db", "current", cwd=tmp_path, env={"SAFECITY_DATABASE_URL": url})
    line = assert_one_line_error(result)
    assert "hunter2secret" not in line and "someone:***@" in line


@pytest.mark.parametrize("command", [["demo", "load"], ["serve"]])
def test_an_unmigrated_database_says_to_upgrade(tmp_path: Path, command: list[str]) -> None:
    result = safecity(*command, cwd=tmp_path)
    line = assert_one_line_error(result)
    assert "no tables yet" in line and "safecity db upgrade" in line


def test_a_data_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    result = safecity(
        "db", "upgrade", cwd=tmp_path, env={"SAFECITY_DATA_DIR": str(tmp_path / "a-file" / "data")}
    )
    line = assert_one_line_error(result)
    assert "cannot create the folder" in line and "a-file" in line


def test_an_invalid_setting_is_one_line(tmp_path: Path) -> None:
    result = safecity("db", "current", cwd=tmp_path, env={"SAFECITY_PAGE_SIZE": "many"})
    assert "SAFECITY_PAGE_SIZE" in assert_one_line_error(result)
    proxies = {"SAFECITY_TRUSTED_PROXIES": "10.0.0.0/8, the-proxy"}
    line = assert_one_line_error(safecity("db", "current", cwd=tmp_path, env=proxies))
    assert "SAFECITY_TRUSTED_PROXIES" in line and "'the-proxy' is not an IP address" in line


def test_a_usage_error_is_one_line(tmp_path: Path) -> None:
    result = safecity("demo", "load", "--bogus", cwd=tmp_path)
    assert result.returncode == 2
    assert "--bogus" in assert_one_line_error(result)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(importlib.util.find_spec("app.main") is None, reason="app.main not written yet")
def test_serve_answers_and_logs_no_client_details(tmp_path: Path) -> None:
    assert safecity("db", "upgrade", cwd=tmp_path).returncode == 0
    port = _free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=tmp_path, env=child_env(tmp_path, None), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as server:
        try:
            status, client_port = _get_once(port, deadline=time.monotonic() + 30)
        finally:
            server.terminate()
            out, err = server.communicate(timeout=15)
    output = out + err
    assert status == 200, output
    assert "Traceback" not in output
    assert "SecretAgent" not in output and "secretquery" not in output
    assert f"127.0.0.1:{client_port}" not in output and "GET /" not in output


def _get_once(port: int, *, deadline: float) -> tuple[int, int]:
    """GET / once the server listens: (status, the client's own port)."""
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.connect()
        except OSError:
            conn.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
            continue
        try:
            assert conn.sock is not None
            client_port = int(conn.sock.getsockname()[1])
            conn.request("GET", "/?q=secretquery", headers={"User-Agent": "SecretAgent/9.9"})
            response = conn.getresponse()
            response.read()
            return response.status, client_port
        finally:
            conn.close()
