"""Browser fixtures: the real app under uvicorn, driven by Debian's Chromium through Playwright.

One server (a fresh migrated SQLite database with the demo data) and one browser per run; each
test gets its own browser context. Every request a page makes is recorded, and any request that
would leave the server's origin is aborted before it goes out and reported as a failure.

`playwright install` cannot download browsers here, so Debian's /usr/bin/chromium is used.
When it is missing the suite skips with a message, unless SAFECITY_REQUIRE_BROWSER=1 (set by
.ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.db import create_db_engine

CHROMIUM = Path(os.environ.get("SAFECITY_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("SAFECITY_REQUIRE_BROWSER") == "1"
# The flags Chromium needs on a machine with no sandbox support, no GPU and no outside network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    url: str
    engine: Engine

    def deployment_path(self, slug: str) -> str:
        from app.models import Deployment

        with Session(self.engine) as session:
            deployment = session.exec(select(Deployment).where(Deployment.slug == slug)).one()
        return f"/deployments/{deployment.id}"


@dataclass
class Watch:
    """What one browser context did: every request URL, console errors, uncaught exceptions."""

    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def is_own(self, url: str) -> bool:
        if url.startswith("data:"):
            return True
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    @property
    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not self.is_own(url)]

    def on_console(self, message: ConsoleMessage) -> None:
        # CSP violations arrive as console errors ("Refused to ... Content Security Policy").
        if message.type == "error" or "Content Security Policy" in message.text:
            self.console_errors.append(f"{message.type}: {message.text} ({message.location})")

    def watch(self, page: Page) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def live_server(backends: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app, as `make run` serves it, on 127.0.0.1 and a free port, with the demo data."""
    from app.main import create_app
    from app.services.demo import load_demo

    database_url: str = backends.sqlite_url()
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        load_demo(session=session)

    sock = _free_socket()
    host, port = sock.getsockname()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("live-data"),
        database_url=database_url,
        secret_key="browser-test-secret",
        base_url=f"http://{host}:{port}",
        submission_min_seconds=0,  # a test fills the public form faster than a person could
    )
    config = uvicorn.Config(
        create_app(settings, engine=engine),
        log_config=None,  # leave logging to pytest
        log_level="warning",
        access_log=False,
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://{host}:{port}", engine=engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = (
            f"Chromium not found at {CHROMIUM}: install Debian's chromium "
            "(apt-get install chromium) or set SAFECITY_CHROMIUM to run the browser tests"
        )
        if REQUIRE_BROWSER:
            pytest.fail(message + "; SAFECITY_REQUIRE_BROWSER=1 makes this suite mandatory")
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


OpenPage = Callable[..., tuple[Page, Watch]]


@pytest.fixture
def open_page(browser: Browser, live_server: LiveServer) -> Iterator[OpenPage]:
    """open_page(javascript=True) -> (page, watch): a page in a fresh context on the live server.

    On teardown, fails if anything was requested from another origin.
    """
    contexts: list[tuple[BrowserContext, Watch]] = []

    def open_(*, javascript: bool = True) -> tuple[Page, Watch]:
        context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        watch = Watch(origin=live_server.url)
        context.on("request", lambda request: watch.requests.append(request.url))

        def keep_local(route: Route) -> None:
            # Nothing leaves this machine, even if a page asks for it; the request is still
            # recorded above, so the test fails.
            if watch.is_own(route.request.url):
                route.continue_()
            else:
                route.abort("blockedbyclient")

        context.route("**/*", keep_local)
        page = context.new_page()
        watch.watch(page)
        contexts.append((context, watch))
        return page, watch

    yield open_
    for context, watch in contexts:
        context.close()
        assert watch.foreign_requests == [], "requests left the server's origin"
