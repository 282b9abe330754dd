"""Staff sign-in over HTTP: the login form, cookies, sessions, the access dependencies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from staff import STAFF_PASSWORD, form_token, login, make_user

from app.config import Settings
from app.main import create_app
from app.models import StaffSession, User
from app.security import SESSION_COOKIE
from app.web.deps import AdminDep, CurrentStaff, StaffDep


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    app = create_app(settings, engine=engine)

    def whoami(user: CurrentStaff) -> dict[str, str | None]:
        return {"email": user.email if user else None}

    def staff_only(user: StaffDep) -> dict[str, str]:
        return {"email": user.email}

    def admin_only(user: AdminDep) -> dict[str, str]:
        return {"email": user.email}

    app.add_api_route("/test/whoami", whoami)
    app.add_api_route("/test/staff", staff_only)
    app.add_api_route("/test/admin", admin_only)
    app.add_api_route("/api/v1/test/staff", staff_only)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def post_login(client: TestClient, email: str, password: str, **extra: str) -> object:
    token = form_token(client.get("/login").text)
    data = {"email": email, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=data, follow_redirects=False)


def test_login_page_is_a_plain_form(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = soup(response.text)
    form = page.select_one("main form")
    assert form["method"] == "post" and form["action"] == "/login"
    assert form.select_one('input[name="email"][autocomplete="username"]')
    assert form.select_one('input[type="password"][autocomplete="current-password"]')
    assert form.select_one('input[name="csrf_token"]')["value"]
    assert "submi" not in page.select_one("main").get_text().lower()


def test_login_sets_a_session_and_signs_in(client: TestClient, session: Session) -> None:
    user = make_user(session, "Ana@Example.org")
    response = post_login(client, "  ana@EXAMPLE.org ", STAFF_PASSWORD)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert client.get("/test/whoami").json() == {"email": user.email}
    assert user.email == "ana@example.org"


def test_cookie_flags_over_http(client: TestClient, session: Session) -> None:
    make_user(session, "flags@example.org")
    response = post_login(client, "flags@example.org", STAFF_PASSWORD)
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    assert "secure" not in attributes


def test_cookie_is_secure_under_https(app: FastAPI, session: Session) -> None:
    make_user(session, "tls@example.org")
    with TestClient(app, base_url="https://testserver") as client:
        response = post_login(client, "tls@example.org", STAFF_PASSWORD)
        attributes = [p.strip().lower() for p in response.headers["set-cookie"].split(";")]  # type: ignore[attr-defined]
        assert "secure" in attributes and "httponly" in attributes
        assert "samesite=lax" in attributes
        assert client.get("/test/whoami").json() == {"email": "tls@example.org"}


@pytest.mark.parametrize(
    ("email", "password"),
    [("known@example.org", "wrong password here"), ("nobody@example.org", STAFF_PASSWORD)],
)
def test_wrong_email_or_password_says_neither_which(
    client: TestClient, session: Session, email: str, password: str
) -> None:
    make_user(session, "known@example.org")
    response = post_login(client, email, password)
    assert response.status_code == 422  # type: ignore[attr-defined]
    page = soup(response.text)  # type: ignore[attr-defined]
    assert "Email or password is wrong" in page.select_one("#login-message").get_text()
    assert page.select_one('input[name="email"]')["value"] == email
    assert page.select_one('input[name="password"]').get("value") is None
    assert SESSION_COOKIE not in client.cookies


def test_empty_fields_get_field_errors(client: TestClient) -> None:
    response = post_login(client, "", "")
    assert response.status_code == 422  # type: ignore[attr-defined]
    page = soup(response.text)  # type: ignore[attr-defined]
    assert page.select_one("#email-error").get_text() == "Enter your email address."
    assert page.select_one('#email[aria-invalid="true"]')
    assert page.select_one("#password-error")


def test_login_without_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    make_user(session, "csrf@example.org")
    data = {"email": "csrf@example.org", "password": STAFF_PASSWORD}
    assert client.post("/login", data=data).status_code == 403
    assert client.post("/login", data={**data, "csrf_token": "s.forged"}).status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_next_goes_back_to_a_local_page(client: TestClient, session: Session) -> None:
    make_user(session, "next@example.org")
    page = soup(client.get("/login?next=/test/staff?x=1").text)
    assert page.select_one('input[name="next"]')["value"] == "/test/staff?x=1"
    response = post_login(client, "next@example.org", STAFF_PASSWORD, next="/test/staff?x=1")
    assert response.headers["location"] == "/test/staff?x=1"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http:/evil", "javascript:x",
     "/%0d%0aSet-Cookie:x", "\\\\evil.example"],
)
def test_next_never_leaves_the_site(client: TestClient, session: Session, target: str) -> None:
    make_user(session, "redirect@example.org")
    page = soup(client.get("/login", params={"next": target}).text)
    assert page.select_one('input[name="next"]') is None or "evil" not in str(page)
    response = post_login(client, "redirect@example.org", STAFF_PASSWORD, next=target)
    location = response.headers["location"]  # type: ignore[attr-defined]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc and location.startswith("/")
    assert not location.startswith("//") and "evil" not in location


def test_logout_ends_the_session_on_the_server(client: TestClient, session: Session) -> None:
    make_user(session, "bye@example.org")
    login(client, "bye@example.org")
    token = client.cookies[SESSION_COOKIE]
    page = client.get("/test/staff")
    assert page.status_code == 200
    # A session-bound token, as the sign-out form in the staff bar carries it.
    meta = soup(client.get("/about").text).select_one('meta[name="csrf-token"]')["content"]
    response = client.post("/logout", data={"csrf_token": meta}, follow_redirects=False)
    assert response.status_code == 303
    assert SESSION_COOKIE not in client.cookies
    assert session.exec(select(StaffSession)).all() == []
    # The old cookie, replayed, is worth nothing.
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/test/whoami").json() == {"email": None}


def test_disabled_users_session_stops_working(client: TestClient, session: Session) -> None:
    user = make_user(session, "gone@example.org")
    login(client, "gone@example.org")
    assert client.get("/test/whoami").json() == {"email": "gone@example.org"}
    user.active = False  # even without going through the service, the next request sees it
    session.add(user)
    session.commit()
    assert client.get("/test/whoami").json() == {"email": None}
    assert client.get("/test/staff", follow_redirects=False).status_code == 303


def test_staff_pages_send_anonymous_visitors_to_sign_in(client: TestClient) -> None:
    response = client.get("/test/staff?page=2", follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/test/staff?page=2"]}
    htmx = client.get("/test/staff", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/login?next=")
    api = client.get("/api/v1/test/staff")
    assert api.status_code == 401
    assert api.headers["content-type"] == "application/problem+json"


def test_admin_pages_refuse_moderators(client: TestClient, session: Session) -> None:
    make_user(session, "mod@example.org", role="moderator")
    assert client.get("/test/admin", follow_redirects=False).status_code == 303
    login(client, "mod@example.org")
    assert client.get("/test/staff").status_code == 200
    response = client.get("/test/admin")
    assert response.status_code == 403
    assert "administrators" in soup(response.text).select_one("main").get_text()


def test_admins_pass_both_checks(client: TestClient, session: Session) -> None:
    make_user(session, "root@example.org", role="admin")
    login(client, "root@example.org")
    assert client.get("/test/admin").json() == {"email": "root@example.org"}
    assert client.get("/test/staff").json() == {"email": "root@example.org"}
    assert session.exec(select(User)).one().last_login_at is not None


def test_throttled_login_says_when_to_try_again(client: TestClient, session: Session) -> None:
    make_user(session, "slow@example.org")
    statuses = []
    # Five failures throttle the account; a 15-minute window boundary in the middle of the
    # loop could reset the count once, so up to ten attempts are allowed for it to show.
    for _ in range(10):
        response = post_login(client, "slow@example.org", "guess guess")
        statuses.append(response.status_code)  # type: ignore[attr-defined]
        if statuses[-1] == 429:
            break
    assert statuses[:5] == [422] * 5 and statuses[-1] == 429
    response = post_login(client, "slow@example.org", STAFF_PASSWORD)  # even the right one
    assert response.status_code == 429  # type: ignore[attr-defined]
    message = soup(response.text).select_one("#login-message").get_text()  # type: ignore[attr-defined]
    assert re.search(r"Too many attempts; try again in \d+ minutes?\.", message)
    assert SESSION_COOKIE not in client.cookies


def test_oversized_fields_get_the_login_page_back(client: TestClient) -> None:
    response = post_login(client, "a" * 400 + "@example.org", "x" * 2000)
    assert response.status_code == 422  # type: ignore[attr-defined]
    page = soup(response.text)  # type: ignore[attr-defined]
    assert "Email or password is wrong" in page.select_one("#login-message").get_text()


def test_signing_in_again_ends_the_session_it_replaces(
    client: TestClient, session: Session
) -> None:
    make_user(session, "first@example.org")
    make_user(session, "second@example.org")
    login(client, "first@example.org")
    first_token = client.cookies[SESSION_COOKIE]
    token = soup(client.get("/about").text).select_one('meta[name="csrf-token"]')["content"]
    data = {"email": "second@example.org", "password": STAFF_PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    assert len(session.exec(select(StaffSession)).all()) == 1
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, first_token)
    assert client.get("/test/whoami").json() == {"email": None}


def test_an_email_with_a_nul_byte_is_refused_like_a_wrong_one(
    client: TestClient, session: Session
) -> None:
    # PostgreSQL refuses NUL in a text parameter: the lookup must answer, not raise.
    make_user(session, "nul@example.org")
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": "nul\x00@example.org", "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 422
    assert SESSION_COOKIE not in client.cookies
