"""The account page: password change, two-factor enrolment with a server-drawn QR code,
sign-in with TOTP and with single-use recovery codes."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, unquote, urlsplit

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from staff import STAFF_PASSWORD, form_token, login, make_user

from app.models import AuditEntry, RecoveryCode, User
from app.security import SESSION_COOKIE
from app.services import totp


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def now_code(secret: str) -> str:
    return totp.totp(totp.decode_secret(secret), time.time())


def next_code(secret: str) -> str:
    """The code of the next time step: accepted (one step of drift), and not yet used."""
    return totp.totp(totp.decode_secret(secret), time.time() + 30)


def enrol(client: TestClient) -> tuple[str, list[str]]:
    """Set up TOTP through the pages; returns the secret and the recovery codes shown."""
    page = soup(client.get("/account/two-factor").text)
    secret = str(page.select_one('input[name="secret"]')["value"])
    response = client.post(
        "/account/two-factor",
        data={"secret": secret, "code": now_code(secret),
              "csrf_token": page.select_one('input[name="csrf_token"]')["value"]},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    codes = [li.get_text() for li in soup(response.text).select("#recovery-codes code")]
    return secret, codes


def test_account_needs_sign_in(client: TestClient) -> None:
    response = client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount"


def test_account_page_and_staff_bar(client: TestClient, session: Session) -> None:
    make_user(session, "me@example.org", display_name="Ana Petrović")
    login(client, "me@example.org")
    response = client.get("/account")
    assert response.status_code == 200
    page = soup(response.text)
    bar = page.select_one("nav.staff-bar")
    assert "Ana Petrović" in bar.get_text() and "moderator" in bar.get_text()
    assert bar.select_one('form[action="/logout"] input[name="csrf_token"]')
    assert not bar.select('a[href="/staff/users"]')  # moderators have no admin links
    assert "Off." in page.select_one("#two-factor-state").get_text()
    # The public pages never look a session up, so they show no staff bar.
    assert soup(client.get("/about").text).select_one("nav.staff-bar") is None


def test_sign_out_button_in_the_staff_bar(client: TestClient, session: Session) -> None:
    make_user(session, "out@example.org")
    login(client, "out@example.org")
    form = soup(client.get("/account").text).select_one("nav.staff-bar form")
    response = client.post(
        form["action"], data={"csrf_token": form.select_one("input")["value"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_enrolment_shows_a_qr_code_drawn_here(client: TestClient, session: Session) -> None:
    make_user(session, "qr@example.org")
    login(client, "qr@example.org")
    response = client.get("/account/two-factor")
    assert response.headers["Cache-Control"] == "no-store"
    page = soup(response.text)
    img = page.select_one("img.qr-code")
    assert img["src"].startswith("data:image/svg+xml")
    assert img["alt"]
    svg = unquote(img["src"].split(",", 1)[1])
    assert "<svg" in svg and "<script" not in svg
    secret = str(page.select_one('input[name="secret"]')["value"])
    assert page.select_one("#totp-key").get_text().replace(" ", "") == secret
    assert len(base64.b32decode(secret)) == 20


def test_wrong_code_keeps_the_same_secret(client: TestClient, session: Session) -> None:
    user = make_user(session, "typo@example.org")
    login(client, "typo@example.org")
    page = soup(client.get("/account/two-factor").text)
    secret = str(page.select_one('input[name="secret"]')["value"])
    wrong = "000000" if now_code(secret) != "000000" else "111111"
    response = client.post(
        "/account/two-factor",
        data={"secret": secret, "code": wrong,
              "csrf_token": page.select_one('input[name="csrf_token"]')["value"]},
    )
    assert response.status_code == 422
    again = soup(response.text)
    assert again.select_one('input[name="secret"]')["value"] == secret
    assert "does not match" in again.select_one("#code-error").get_text()
    session.refresh(user)
    assert user.totp_secret is None


def test_totp_login_and_single_use_recovery_codes(client: TestClient, session: Session) -> None:
    make_user(session, "2fa@example.org")
    login(client, "2fa@example.org")
    secret, codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = session.exec(select(RecoveryCode)).all()
    assert len(stored) == 10 and not {row.code_hash for row in stored} & set(codes)
    assert "On." in soup(client.get("/account").text).select_one("#two-factor-state").get_text()
    client.cookies.clear()

    # The password alone gives a session that is good for nothing but the code step.
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": "2fa@example.org", "password": STAFF_PASSWORD,
              "csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/login/code"
    assert client.get("/account", follow_redirects=False).status_code == 303
    wrong = client.post(
        "/login/code",
        data={"code": "12345678", "csrf_token": form_token(client.get("/login/code").text)},
    )
    assert wrong.status_code == 422
    assert "wrong" in soup(wrong.text).select_one("#code-error").get_text()
    client.cookies.clear()

    login(client, "2fa@example.org", totp=next_code(secret))
    assert client.get("/account").status_code == 200
    client.cookies.clear()

    login(client, "2fa@example.org", totp=codes[0].upper().replace("-", " "))
    client.cookies.clear()
    # The same recovery code a second time is refused.
    page = client.get("/login")
    client.post(
        "/login",
        data={"email": "2fa@example.org", "password": STAFF_PASSWORD,
              "csrf_token": form_token(page.text)},
    )
    again = client.post(
        "/login/code",
        data={"code": codes[0], "csrf_token": form_token(client.get("/login/code").text)},
    )
    assert again.status_code == 422
    logins = session.exec(select(AuditEntry).where(AuditEntry.action == "login")).all()
    assert [entry.detail for entry in logins][-2:] == [
        {"second_factor": "totp"}, {"second_factor": "recovery_code"}
    ]


def test_code_step_without_a_pending_login_starts_again(client: TestClient) -> None:
    response = client.get("/login/code?next=/account", follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login" and parse_qs(location.query) == {"next": ["/account"]}


def test_new_recovery_codes_and_turning_off(client: TestClient, session: Session) -> None:
    user = make_user(session, "codes@example.org")
    login(client, "codes@example.org")
    _, first = enrol(client)
    page = soup(client.get("/account").text)
    token = page.select_one('input[name="csrf_token"]')["value"]
    refused = client.post(
        "/account/recovery-codes", data={"codes_password": "not it at all", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert soup(refused.text).select_one("#codes_password-error")
    response = client.post(
        "/account/recovery-codes", data={"codes_password": STAFF_PASSWORD, "csrf_token": token}
    )
    second = [li.get_text() for li in soup(response.text).select("#recovery-codes code")]
    assert len(second) == 10 and not set(first) & set(second)
    off = client.post(
        "/account/two-factor/off", data={"off_password": STAFF_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert off.status_code == 303 and off.headers["location"] == "/account?done=two-factor-off"
    session.refresh(user)
    assert user.totp_secret is None
    assert session.exec(select(RecoveryCode)).all() == []


def test_change_password(client: TestClient, session: Session) -> None:
    make_user(session, "pw@example.org")
    login(client, "pw@example.org")
    token = form_token(client.get("/account").text)
    data = {"current_password": STAFF_PASSWORD, "new_password": "short",
            "repeat_password": "short", "csrf_token": token}
    response = client.post("/account/password", data=data)
    assert response.status_code == 422
    assert "12 characters" in soup(response.text).select_one("#new_password-error").get_text()
    new = "a much longer passphrase"
    data.update(new_password=new, repeat_password=new)
    response = client.post("/account/password", data=data, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.clear()
    login(client, "pw@example.org", new)
    assert client.cookies.get(SESSION_COOKIE)
    assert session.exec(select(User)).one().email == "pw@example.org"


def test_a_mangled_setup_form_starts_with_a_new_secret(
    client: TestClient, session: Session
) -> None:
    make_user(session, "mangled@example.org")
    login(client, "mangled@example.org")
    token = form_token(client.get("/account/two-factor").text)
    for secret in ("!!!", "A" * 100):
        response = client.post(
            "/account/two-factor", data={"secret": secret, "code": "123456", "csrf_token": token}
        )
        assert response.status_code == 422
        page = soup(response.text)
        assert "start again" in page.select_one("#code-error").get_text()
        fresh = str(page.select_one('input[name="secret"]')["value"])
        assert fresh != secret and len(totp.decode_secret(fresh)) == 20
