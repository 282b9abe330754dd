"""A tip's whole way in a real browser: the public form, then a moderator signs in, claims it,
publishes it, finds the record by search and reads its history. With JavaScript on and off.

Script payloads ride along in the title and summary: no dialog may open on any page, no
script error may happen, and (checked by the open_page fixture) no request may leave the
server's origin.
"""

from __future__ import annotations

import re
from itertools import count
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Dialog, Page, expect
from sqlmodel import Session
from staff import STAFF_PASSWORD, make_user

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, OpenPage, Watch

pytestmark = pytest.mark.browser
_serial = count(1)
PAYLOAD = '<img src=x onerror="alert(document.domain)"><script>alert(1)</script>'


def watch_dialogs(page: Page, dialogs: list[str]) -> None:
    def seen(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)


def assert_clean(watch: Watch, dialogs: list[str]) -> None:
    assert dialogs == [], "a payload ran"
    assert watch.page_errors == []
    # Refusals that are part of the flow show as failed loads; script or policy errors may not.
    assert [e for e in watch.console_errors if "Failed to load resource" not in e] == []
    assert watch.foreign_requests == []


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_submit_claim_publish_find_and_read_the_history(
    open_page: OpenPage, live_server: LiveServer, javascript: bool
) -> None:
    word = f"Kikinda{next(_serial)}x{'js' if javascript else 'nojs'}"
    title = f"Face recognition cameras in {word} {PAYLOAD}"
    dialogs: list[str] = []

    # 1. The public form, as anyone would send it.
    public, public_watch = open_page(javascript=javascript)
    watch_dialogs(public, dialogs)
    public.goto("/submit")
    public.get_by_label("Short title").fill(title)
    public.get_by_label("Country").select_option("RS")
    public.get_by_label("City or town").fill(word)
    public.get_by_label("What did you see or read?").fill(
        f"Cameras with face recognition at the station. {PAYLOAD}")
    public.get_by_label("Vendors").fill("Hikvision")
    public.locator("#source_1_url").fill(f"https://news.example/{word.lower()}")
    public.locator("#source_1_title").fill(f"New cameras in {word}")
    public.get_by_role("button", name="Send submission").click()
    expect(public.locator("#receipt-code")).to_be_visible()
    assert_clean(public_watch, dialogs)

    # 2. A moderator signs in, finds it in the queue and claims it.
    email = f"flow{next(_serial)}@example.org"
    with Session(live_server.engine) as session:
        make_user(session, email, display_name="Flow Moderator")
    staff, staff_watch = open_page(javascript=javascript)
    watch_dialogs(staff, dialogs)
    staff.goto("/moderation")
    expect(staff).to_have_url(re.compile(r"/login\?next=%2Fmoderation$"))
    staff.get_by_label("Email address").fill(email)
    staff.get_by_label("Password").fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    expect(staff).to_have_url(re.compile(r"/moderation$"))
    expect(staff.locator("#waiting-count")).to_be_visible()
    staff.get_by_role("link", name=re.compile(word)).click()
    expect(staff.locator("h1")).to_contain_text("new deployment")
    staff.get_by_role("button", name="Claim", exact=True).click()
    expect(staff.locator("#claim")).to_contain_text("You are working on this submission")

    # 3. Publish from the prefilled form (it opens from its summary, with or without script).
    staff.locator("#publish > summary").click()
    expect(staff.locator("form.publish-form #title")).to_have_value(title)
    staff.get_by_role("button", name="Publish", exact=True).click()
    expect(staff.locator(".revision-summary").first).to_contain_text("Created from submission #")
    expect(staff.locator(".actor").first).to_have_text("Flow Moderator")

    # 4. The record is found by search, and its page links the history.
    staff.goto("/deployments")
    staff.get_by_label("Search words").fill(word)
    if javascript:  # htmx updates the results in place as the words are typed
        expect(staff.locator("#search-results .card-title a")).to_have_count(1)
    else:
        staff.get_by_role("button", name="Search", exact=True).click()
    result = staff.locator(".card-title a")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(title)
    result.click()
    expect(staff.locator("#record-title")).to_have_text(title)
    staff.get_by_role("link", name="history", exact=True).click()
    expect(staff.locator("li.revision")).to_have_count(1)
    expect(staff.locator("li.revision")).to_contain_text("Created from submission #")
    expect(staff.locator("li.revision dd").first).to_contain_text(title)
    assert_clean(staff_watch, dialogs)
