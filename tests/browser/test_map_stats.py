"""/map and /stats in a real browser, with JavaScript and without.

Without a tile server the map page is a list and loads no map code; with one (a tiny tile
server on another local port, so another origin) Leaflet draws the map and its markers, and
the only requests that leave our origin go to that tile server. No console errors, no CSP
violations, either way.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from app.config import Settings

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

BELGRADE = "Huawei Safe City, Belgrade"  # the one demo record with coordinates


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


# --- without a tile server: the live server as configured by conftest --------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_without_tiles_map_is_a_list_and_stats_are_svg(
    open_page: OpenPage, live_server: LiveServer, javascript: bool
) -> None:
    page, watch = open_page(javascript=javascript)

    response = page.goto("/map?country=RS")
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("Map of deployments")
    expect(page.get_by_role("heading", name="Serbia")).to_be_visible()
    expect(page.get_by_role("link", name=BELGRADE)).to_be_visible()
    expect(page.locator("#map")).to_have_count(0)
    expect(page.locator(".leaflet-container")).to_have_count(0)

    response = page.goto("/stats?country=RS")
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    for title in ("Records by country", "Records by vendor", "Records by first year"):
        expect(page.get_by_role("img", name=title)).to_be_visible()
        expect(page.get_by_role("table", name=f"{title} (table)")).to_be_visible()
    expect(page.get_by_role("table", name="Records by country (table)")).to_contain_text("Serbia")

    assert not [url for url in watch.requests if "leaflet" in url or "map.js" in url]
    assert watch.foreign_requests == []
    assert watch.console_errors == []
    assert watch.page_errors == []


# --- with a tile server on another origin ------------------------------------------------------


@dataclass
class TileServer:
    url: str
    paths: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def tile_server() -> Iterator[TileServer]:
    """Serves one grey 256×256 PNG for every path, and remembers what was asked for."""
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 200, 200)).save(buffer, format="PNG")
    png = buffer.getvalue()
    sock = _free_socket()
    host, port = sock.getsockname()
    sock.close()
    server_info = TileServer(url=f"http://{host}:{port}")

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_info.paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    httpd = ThreadingHTTPServer((host, port), Tiles)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_info
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def tiled_server(
    live_server: LiveServer, tile_server: TileServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The same app and database as the live server, with SAFECITY_MAP_TILES set."""
    from app.main import create_app

    sock = _free_socket()
    host, port = sock.getsockname()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("tiled-data"),
        database_url=str(live_server.engine.url),
        secret_key="browser-test-secret",
        base_url=f"http://{host}:{port}",
        map_tiles=f"{tile_server.url}/tiles/{{z}}/{{x}}/{{y}}.png",
        map_attribution="Test tiles <b>not bold</b>",
    )
    config = uvicorn.Config(
        create_app(settings, engine=live_server.engine),
        log_config=None,
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
            raise RuntimeError("the tiled server did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Visit:
    page: Page
    requests: list[str]
    console: list[str]
    page_errors: list[str]


@pytest.fixture
def visit_tiled(browser: Browser, tiled_server: str, tile_server: TileServer) -> Iterator[Any]:
    """visit(path, javascript=...) -> Visit on the tiled server; only our origin and the tile
    server are reachable, anything else is aborted and recorded."""
    allowed = {tiled_server, tile_server.url}
    contexts = []

    def visit(path: str, *, javascript: bool) -> Visit:
        context = browser.new_context(base_url=tiled_server, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        contexts.append(context)
        found = Visit(page=context.new_page(), requests=[], console=[], page_errors=[])
        context.on("request", lambda request: found.requests.append(request.url))

        def guard(route: Route) -> None:
            if _origin(route.request.url) in allowed or route.request.url.startswith("data:"):
                route.continue_()
            else:
                route.abort("blockedbyclient")

        def on_console(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning") or "Content Security" in message.text:
                found.console.append(f"{message.type}: {message.text}")

        context.route("**/*", guard)
        found.page.on("console", on_console)
        found.page.on("pageerror", lambda error: found.page_errors.append(str(error)))
        response = found.page.goto(path)
        assert response is not None and response.ok
        found.page.wait_for_load_state("networkidle")
        return found

    yield visit
    for context in contexts:
        context.close()


def test_with_tiles_and_javascript_the_map_shows_markers_and_tiles(
    visit_tiled: Any, tiled_server: str, tile_server: TileServer
) -> None:
    tile_server.paths.clear()
    visit: Visit = visit_tiled("/map", javascript=True)
    page = visit.page

    map_box = page.locator("#map.leaflet-container")
    expect(map_box).to_be_visible()
    # Belgrade is the one demo record with coordinates: one marker, alone or in a cluster.
    markers = page.locator(".leaflet-marker-icon")
    expect(markers).to_have_count(1)
    expect(page.locator("#map-status")).to_have_text("1 record on the map.")
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_attached()
    assert tile_server.paths and all(p.startswith("/tiles/") for p in tile_server.paths)
    # The configured attribution is shown as text, never as markup.
    attribution = page.locator(".leaflet-control-attribution")
    expect(attribution).to_contain_text("Test tiles <b>not bold</b>")
    expect(attribution.locator("b")).to_have_count(0)
    # The marker's popup links to the record, its title set as text.
    markers.first.click()
    link = page.locator(".leaflet-popup-content a")
    expect(link).to_have_text(BELGRADE)
    assert _origin(str(link.get_attribute("href"))) == tiled_server
    # The list is still there below the map.
    expect(page.get_by_role("link", name=BELGRADE).last).to_be_visible()

    origins = {_origin(url) for url in visit.requests if not url.startswith("data:")}
    assert origins == {tiled_server, tile_server.url}, visit.requests
    own = [url for url in visit.requests if _origin(url) == tiled_server]
    assert any(url.endswith("/leaflet.js") for url in own)
    assert any("/deployments.geojson" in url for url in own)
    assert visit.console == []
    assert visit.page_errors == []


def test_with_tiles_but_no_javascript_the_page_is_the_list_alone(
    visit_tiled: Any, tiled_server: str, tile_server: TileServer
) -> None:
    tile_server.paths.clear()
    visit: Visit = visit_tiled("/map?country=RS", javascript=False)
    page = visit.page

    expect(page.locator("#map-panel")).to_be_hidden()
    expect(page.get_by_role("heading", name="Serbia")).to_be_visible()
    expect(page.get_by_role("link", name=BELGRADE)).to_be_visible()
    assert tile_server.paths == []
    assert {_origin(url) for url in visit.requests} == {tiled_server}
    assert visit.console == []
