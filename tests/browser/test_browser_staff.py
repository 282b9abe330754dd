"""Staff sign-in in a real browser: the login form with and without JavaScript, htmx requests
carrying the CSRF header (static/js/csrf.js), and the enrolment QR code allowed by the CSP."""

from __future__ import annotations

import re
from itertools import count
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session
from staff import STAFF_PASSWORD, make_user

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, OpenPage, Watch

pytestmark = pytest.mark.browser
_serial = count(1)


def new_staff(live_server: LiveServer) -> str:
    email = f"browser{next(_serial)}@example.org"
    with Session(live_server.engine) as session:
        make_user(session, email, display_name="Browser Tester")
    return email


def assert_no_script_or_policy_errors(watch: Watch) -> None:
    # A refused form (422, 403) is logged as a failed load; that is the point of those steps.
    unexpected = [e for e in watch.console_errors if "Failed to load resource" not in e]
    assert unexpected == [] and watch.page_errors == []


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("nav.staff-bar")).to_contain_text("Browser Tester")


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_sign_in_and_out(open_page: OpenPage, live_server: LiveServer, javascript: bool) -> None:
    page, watch = open_page(javascript=javascript)
    email = new_staff(live_server)
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-message")).to_contain_text("Email or password is wrong")
    expect(page.get_by_label("Email address")).to_have_value(email)
    sign_in(page, email)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("nav.staff-bar")).to_have_count(0)
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Faccount$"))
    assert_no_script_or_policy_errors(watch)


def test_htmx_requests_carry_the_csrf_header(open_page: OpenPage, live_server: LiveServer) -> None:
    page, watch = open_page()
    sign_in(page, new_staff(live_server))
    page.goto("/account")
    # Without the header (a plain fetch) the sign-out is refused and the session lives on.
    status = page.evaluate("fetch('/logout', {method: 'POST'}).then(r => r.status)")
    assert status == 403
    page.reload()
    expect(page.locator("nav.staff-bar")).to_have_count(1)
    # htmx adds it from the meta tag, so the same request through htmx goes through.
    page.evaluate("htmx.ajax('POST', '/logout', {target: '#main', swap: 'none'})")
    page.wait_for_load_state("networkidle")
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert_no_script_or_policy_errors(watch)


def test_enrolment_qr_code_is_drawn(open_page: OpenPage, live_server: LiveServer) -> None:
    page, watch = open_page()
    sign_in(page, new_staff(live_server))
    page.goto("/account")
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    qr = page.locator("img.qr-code")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img.qr-code').naturalWidth") > 0
    assert_no_script_or_policy_errors(watch)
