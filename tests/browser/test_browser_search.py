"""Searching /deployments in a real browser, with JavaScript (htmx) and without it.

The demo data has the Huawei Safe City deployment in Belgrade, Huawei "safe city" projects in
Armenia and other countries, and Serbian deployments by other vendors (Wing Loong drones).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import OpenPage

pytestmark = pytest.mark.browser

BELGRADE = "Huawei Safe City, Belgrade"
ARMENIA = "Armenia"
WING_LOONG = "Wing Loong"


def result(page: Page, text: str) -> Locator:
    """The titles of the listed results that contain this text (facet labels do not count)."""
    titles = page.locator("#search-results").get_by_role("listitem").get_by_role("heading")
    return titles.filter(has_text=text)


def result_count(page: Page) -> Locator:
    return page.get_by_role("status")


def search_box(page: Page) -> Locator:
    return page.get_by_role("searchbox", name=re.compile("search", re.IGNORECASE))


def country_facet(page: Page, code: str) -> Locator:
    return page.locator(f'input[type="checkbox"][name="country"][value="{code}"]')


def submit(page: Page, button: str) -> None:
    """Submit the search form with one of its buttons, as a person without JavaScript does."""
    form = page.locator("form", has=search_box(page))
    with page.expect_navigation():
        form.get_by_role("button", name=button, exact=True).click()


def test_search_updates_in_place_with_javascript(open_page: OpenPage) -> None:
    page, watch = open_page()
    page.goto("/deployments")
    expect(result(page, WING_LOONG)).to_have_count(1)
    # A full page load would wipe this; an in-place htmx swap keeps it.
    page.evaluate("window.__marker = 1")

    search_box(page).press_sequentially("huawei", delay=30)

    expect(page).to_have_url(re.compile(r"/deployments\?(.*&)?q=huawei(&|$)"))
    expect(result(page, BELGRADE)).to_have_count(1)
    expect(result(page, ARMENIA)).to_have_count(1)
    expect(result(page, WING_LOONG)).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "the search reloaded the whole page"

    country_facet(page, "RS").check()

    expect(page).to_have_url(re.compile(r"country=RS"))
    expect(page).to_have_url(re.compile(r"q=huawei"))
    expect(result(page, BELGRADE)).to_have_count(1)
    expect(result(page, ARMENIA)).to_have_count(0)
    expect(result_count(page)).to_have_text(re.compile(r"^\s*1 record\b"))
    expect(country_facet(page, "RS")).to_be_checked()
    assert page.evaluate("window.__marker") == 1

    page.go_back()

    expect(page).to_have_url(re.compile(r"q=huawei"))
    expect(page).not_to_have_url(re.compile(r"country=RS"))
    expect(result(page, ARMENIA)).to_have_count(1)
    expect(country_facet(page, "RS")).not_to_be_checked()
    expect(search_box(page)).to_have_value("huawei")
    assert watch.page_errors == []


def test_search_works_without_javascript(open_page: OpenPage) -> None:
    page, watch = open_page(javascript=False)
    page.goto("/deployments")
    expect(result(page, WING_LOONG)).to_have_count(1)

    search_box(page).fill("huawei")
    submit(page, "Search")

    expect(page).to_have_url(re.compile(r"/deployments\?(.*&)?q=huawei(&|$)"))
    expect(result(page, BELGRADE)).to_have_count(1)
    expect(result(page, ARMENIA)).to_have_count(1)
    expect(result(page, WING_LOONG)).to_have_count(0)
    expect(search_box(page)).to_have_value("huawei")

    country_facet(page, "RS").check()
    submit(page, "Apply filters")

    expect(page).to_have_url(re.compile(r"country=RS"))
    expect(page).to_have_url(re.compile(r"q=huawei"))
    expect(result(page, BELGRADE)).to_have_count(1)
    expect(result(page, ARMENIA)).to_have_count(0)
    expect(result_count(page)).to_have_text(re.compile(r"^\s*1 record\b"))
    expect(country_facet(page, "RS")).to_be_checked()
    # Without JavaScript nothing but the documents and their styles may load.
    assert not [url for url in watch.requests if url.endswith(".js")]
