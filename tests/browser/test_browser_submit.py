"""The public form in a real browser, with JavaScript off (Tor Browser at "Safest") and on:
errors come back beside their fields with everything kept, the receipt code is shown once,
and the receipt page finds the submission. Nothing is requested from another origin."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser


def fill_required(page: Page) -> None:
    page.get_by_label("Short title").fill("Licence-plate readers at the Novi Sad toll gate")
    page.get_by_label("Country").select_option("RS")
    page.get_by_label("What did you see or read?").fill("Four ALPR cameras over the toll lanes.")


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_submit_fix_an_error_get_a_receipt_and_check_it(
    open_page: OpenPage, live_server: LiveServer, javascript: bool
) -> None:
    page, watch = open_page(javascript=javascript)
    page.goto("/submit")
    fill_required(page)
    page.get_by_label("Licence-plate recognition").check()
    page.locator("#source_1_url").fill("not an address")

    page.get_by_role("button", name="Send submission").click()

    # The same page again, the error beside its field, everything typed still there.
    expect(page.locator("#source_1_url-error")).to_contain_text("full web address")
    expect(page.get_by_label("Short title")).to_have_value(
        "Licence-plate readers at the Novi Sad toll gate"
    )
    expect(page.get_by_label("Licence-plate recognition")).to_be_checked()
    expect(page.locator(".error-summary")).to_be_visible()

    page.locator("#source_1_url").fill("https://example.org/toll-gate-cameras")
    page.get_by_role("button", name="Send submission").click()

    code = page.locator("#receipt-code")
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$"))
    receipt = code.inner_text()
    copy_button = page.get_by_role("button", name="Copy the code")
    if javascript:
        expect(copy_button).to_be_visible()
    else:
        expect(copy_button).to_have_count(0)  # hidden, and no script to reveal it

    page.goto("/receipt")
    page.get_by_label("Receipt code").fill(receipt.lower())
    page.get_by_role("button", name="Check").click()
    expect(page.locator(".receipt-status .state")).to_have_text("Waiting for review")
    assert receipt not in page.url
    # The browser reports the deliberate 422 of the first attempt; nothing else may go wrong.
    assert [e for e in watch.console_errors if "status of 422" not in e] == []
    assert watch.page_errors == []


def test_inline_check_and_similar_records_with_htmx(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page, watch = open_page(javascript=True)
    page.goto("/submit")

    page.get_by_label("In use since").fill("last spring")
    page.get_by_label("Number of cameras").focus()  # leaving the field sends the check
    expect(page.locator("#started_on-error")).to_contain_text("Enter a year")

    # Leaving the title re-renders its field (the inline check); the hint must still follow it.
    page.get_by_label("Short title").fill("Temporary")
    page.get_by_label("Region or province").focus()
    page.get_by_label("Short title").fill("")
    page.get_by_label("Region or province").focus()
    expect(page.locator("#title-error")).to_be_visible()
    page.get_by_label("Country").select_option("RS")
    page.get_by_label("Short title").fill("More cameras in Belgrade")
    similar = page.locator("#similar-records .similar-list a")
    expect(similar.first).to_contain_text("Belgrade")
    assert watch.console_errors == [] and watch.page_errors == []
