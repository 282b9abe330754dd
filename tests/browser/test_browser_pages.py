"""Public pages in a real browser: nothing from another origin, no console errors, no CSP
violations, and the record page offers a citation."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

BELGRADE_SLUG = "huawei-safe-city-belgrade"


def test_record_page_offers_a_citation_without_errors(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page, watch = open_page()
    path = live_server.deployment_path(BELGRADE_SLUG)

    response = page.goto(path)

    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(re.compile(re.escape(path) + r"(-[\w-]+)?$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Belgrade")
    cite = page.get_by_role("region", name=re.compile("cite this record", re.IGNORECASE))
    expect(cite).to_be_visible()
    expect(cite).to_contain_text(path)
    assert watch.console_errors == []
    assert watch.page_errors == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_public_pages_load_nothing_from_another_origin(
    open_page: OpenPage, live_server: LiveServer, javascript: bool
) -> None:
    page, watch = open_page(javascript=javascript)
    paths = ["/", "/deployments", live_server.deployment_path(BELGRADE_SLUG), "/about"]
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.ok, path
        page.wait_for_load_state("networkidle")

    assert watch.foreign_requests == []
    assert watch.console_errors == []
    assert watch.page_errors == []
    # The recorder saw the pages' own assets, so an empty list above means something.
    own = [url for url in watch.requests if url.startswith(live_server.url + "/static/")]
    assert any(url.endswith(".css") for url in own), watch.requests
    if javascript:
        assert any(url.endswith(".js") for url in own), watch.requests


def test_recorder_catches_a_request_to_another_origin(open_page: OpenPage) -> None:
    """The guard itself: a request to another origin is recorded, and aborted before it leaves."""
    page, watch = open_page()
    with pytest.raises(PlaywrightError):
        page.goto("https://third-party.invalid/pixel.png")
    assert watch.foreign_requests == ["https://third-party.invalid/pixel.png"]
    watch.requests.clear()  # so the fixture's own check passes
