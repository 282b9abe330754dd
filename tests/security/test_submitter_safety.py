"""Guarantee 1: a submitter's address, browser details and words end up in no log line and no
file other than the submission itself. Submissions are sent from several client addresses with
a distinctive user agent (and forwarding headers a proxy might add); then the database file,
everything in the data folder and the captured logs are searched for those strings."""

from __future__ import annotations

import http.client
import logging
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from evidence_images import MARKERS, jpeg_with_metadata
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from app.config import Settings
from app.models import Submission

REPO = Path(__file__).resolve().parents[2]
USER_AGENT = "SafetyProbe/7.7 (distinctive-ua-8d1f3c)"
FORWARDED = "198.51.100.99"  # what a proxy would put in X-Forwarded-For; must not be kept either
CLIENTS = ("127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14")
TITLE = "Cameras on the BODYMARKER-7c1e square"
CONTACT = "contact-marker-51aa@example.org"
SUMMARY = "Seen by me on my way home: BODYMARKER-summary."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Fields = list[tuple[str, str]]
Files = list[tuple[str, str, bytes, str]]  # (field, file name, bytes, content type)


def _multipart(fields: Fields, files: Files) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields:
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    for name, filename, data, content_type in files:
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        ).encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Browser:
    """A client that connects from one loopback address and always sends the same headers."""

    def __init__(self, port: int, address: str) -> None:
        self.port = port
        self.address = address

    def request(self, method: str, path: str, body: bytes = b"",
                content_type: str | None = None, htmx: bool = False) -> tuple[int, str]:
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.address, 0)
        )
        headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": FORWARDED,
                   "X-Real-IP": FORWARDED, "Accept-Language": "sr-RS"}
        if content_type:
            headers["Content-Type"] = content_type
        if htmx:
            headers.update({"HX-Request": "true", "HX-Trigger-Name": "started_on"})
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def hidden(self, path: str) -> list[tuple[str, str]]:
        status, page = self.request("GET", path)
        assert status == 200
        form = page.split('id="submission-form"', 1)[-1] if "submission-form" in page else page
        return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)

    def submit(self, fields: Fields, files: Files) -> tuple[int, str]:
        body, content_type = _multipart(self.hidden("/submit") + fields, files)
        return self.request("POST", "/submit", body, content_type)


def _wait_for(port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECITY_")}
    env.update(
        PYTHONPATH=str(REPO),
        SAFECITY_DATA_DIR=str(data_dir),
        SAFECITY_SUBMISSION_MIN_SECONDS="0",  # tests never wait
    )
    return env


def _files_under(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


def _forbidden(addresses: tuple[str, ...]) -> list[str]:
    return [*addresses, FORWARDED, USER_AGENT, "SafetyProbe", "distinctive-ua-8d1f3c", "sr-RS"]


def test_a_real_server_keeps_no_address_user_agent_or_body(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = _env(data_dir)
    cli = [sys.executable, "-m", "app.cli"]
    upgraded = subprocess.run([*cli, "db", "upgrade"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    port = _free_port()
    codes: list[str] = []
    with subprocess.Popen([*cli, "serve", "--port", str(port)], cwd=tmp_path, env=env,
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as server:
        try:
            _wait_for(port, time.monotonic() + 30)
            for n, address in enumerate(CLIENTS):
                browser = Browser(port, address)
                fields = [("title", f"{TITLE} {n}"), ("country", "RS"), ("summary", SUMMARY),
                          ("contact", CONTACT), ("source_1_title", "Council minutes"),
                          ("capabilities", "cctv")]
                status, page = browser.submit(
                    fields, [("image_1", "IMG_2041.jpg", jpeg_with_metadata(), "image/jpeg")]
                )
                assert status == 200, page[:2000]
                code = re.search(r'id="receipt-code" class="receipt-code">([^<]+)<', page)
                assert code is not None
                codes.append(code.group(1))
                # A form with errors, an htmx check and a receipt lookup too.
                assert browser.submit([("title", TITLE)], [])[0] == 422
                # htmx sends the enclosing form (its CSRF token included) with the check.
                body, content_type = _multipart(
                    [*browser.hidden("/submit"), ("started_on", "BODYMARKER-date")], []
                )
                checked = browser.request("POST", "/submit/check", body, content_type, htmx=True)
                assert checked[0] == 200 and "started_on-error" in checked[1]
                fields = [*browser.hidden("/receipt"), ("code", codes[-1])]
                body, content_type = _multipart(fields, [])
                assert browser.request("POST", "/receipt", body, content_type)[0] == 200
        finally:
            server.terminate()
            out, err = server.communicate(timeout=15)
    logs = out + err
    assert "Traceback" not in logs

    # Every receipt handed out is in the database: the server did work.
    files = dict(_files_under(data_dir))
    database = data_dir / "safecity.sqlite3"
    assert database in files and len(list((data_dir / "evidence").iterdir())) == len(CLIENTS)
    for needle in _forbidden(CLIENTS):
        for path, content in files.items():
            assert needle.encode() not in content, f"{needle!r} found in {path}"
        assert needle not in logs, f"{needle!r} found in the server's output"
    # No log line carries what was typed, a receipt code, or an uploaded file's name.
    for needle in ("BODYMARKER", CONTACT, "IMG_2041", "Council minutes", "SpyCamMaker", *codes):
        assert needle not in logs
    # The stored photos lost their camera, GPS and XMP blocks.
    for path, content in files.items():
        if path.parent.name == "evidence":
            for marker in MARKERS:
                assert marker not in content, (marker, path)
    # Nothing but the database, its journal files, the secret key and the photos is written.
    names = {p.relative_to(data_dir).parts[0] for p in files}
    assert names <= {"safecity.sqlite3", "safecity.sqlite3-wal", "safecity.sqlite3-shm",
                     "secret_key", "evidence"}, names


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url,
                    secret_key="test-secret", submission_min_seconds=0)


def test_in_process_nothing_reaches_any_logger_or_table(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger at DEBUG, both backends: the app, SQLAlchemy, uvicorn, multipart parsing."""
    from app.main import create_app

    addresses = ("203.0.113.77", "203.0.113.78")
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "app", "uvicorn", "multipart", "fastapi", "starlette"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    app = create_app(settings, engine=engine)
    headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": FORWARDED, "Accept-Language": "sr-RS"}
    for address in addresses:
        with TestClient(app, client=(address, 5555), headers=headers) as client:
            page = client.get("/submit").text
            hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
            response = client.post(
                "/submit",
                data={**hidden, "title": TITLE, "country": "RS", "summary": SUMMARY,
                      "contact": CONTACT, "source_1_url": "https://example.org/x"},
                files={"image_1": ("IMG_2041.jpg", jpeg_with_metadata(), "image/jpeg")},
            )
            assert response.status_code == 200
    # What the requests logged; the test's own reading of the tables below is not part of it.
    log_text = caplog.text

    with Session(engine) as session:
        assert len(session.exec(select(Submission)).all()) == len(addresses)
        dump = []
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(table.select()):
                dump.append(" ".join(str(value) for value in row))
    database_text = "\n".join(dump)
    files = dict(_files_under(settings.data_dir))
    for needle in _forbidden(addresses):
        assert needle not in database_text, needle
        assert needle not in log_text, needle
        for path, content in files.items():
            assert needle.encode() not in content, (needle, path)
    for needle in ("BODYMARKER", CONTACT, "IMG_2041", *(m.decode() for m in MARKERS[:5])):
        assert needle not in log_text, needle
