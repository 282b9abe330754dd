"""CSRF protection: tokens bound to the staff session or, for anonymous visitors, signed and
short-lived; every refusal is a 403 that says what to do (a problem document under /api/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.security import (
    ANONYMOUS_TOKEN_LIFETIME,
    CSRF_FAILED,
    SESSION_COOKIE,
    csrf_token_valid,
    verify_csrf,
)

SECRET = "test-secret"


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    # These routes touch no table, so an empty SQLite file is database enough.
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        secret_key=SECRET,
    )
    app = create_app(settings)

    def changed() -> dict[str, bool]:
        return {"changed": True}

    app.add_api_route("/change", changed, methods=["POST"], dependencies=[Depends(verify_csrf)])
    app.add_api_route(
        "/api/v1/change", changed, methods=["POST"], dependencies=[Depends(verify_csrf)]
    )
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def page_token(client: TestClient) -> str:
    page = BeautifulSoup(client.get("/about").text, "html.parser")
    meta = page.select_one('meta[name="csrf-token"]')
    assert meta is not None
    return str(meta["content"])


def assert_refused(response: object) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status == 403
    page = BeautifulSoup(response.text, "html.parser")  # type: ignore[attr-defined]
    assert CSRF_FAILED in page.select_one("main").get_text()


def test_every_page_carries_a_token_and_the_script_that_sends_it(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/about").text, "html.parser")
    scripts = [str(tag["src"]) for tag in page.select("script[src]")]
    assert "/static/js/csrf.js" in scripts
    script = client.get("/static/js/csrf.js")
    assert script.status_code == 200
    assert "htmx:configRequest" in script.text and "X-CSRF-Token" in script.text
    assert page_token(client).startswith("a.")


def test_form_field_and_header_are_accepted(client: TestClient) -> None:
    token = page_token(client)
    assert client.post("/change", data={"csrf_token": token}).json() == {"changed": True}
    response = client.post("/change", headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert response.json() == {"changed": True}
    multipart = client.post("/change", data={"csrf_token": token}, files={"f": ("a.txt", b"x")})
    assert multipart.status_code == 200


def test_missing_or_wrong_token_is_refused_with_a_page_that_says_what_to_do(
    client: TestClient,
) -> None:
    assert_refused(client.post("/change"))
    assert_refused(client.post("/change", data={"other": "x"}))
    assert_refused(client.post("/change", data={"csrf_token": "a.1.2.3"}))
    token = page_token(client)
    tampered = token[:-1] + ("1" if token.endswith("0") else "0")
    assert_refused(client.post("/change", data={"csrf_token": tampered}))
    assert_refused(client.post("/change", content=token, headers={"Content-Type": "text/plain"}))


def test_api_refusal_is_a_problem_document(client: TestClient) -> None:
    response = client.post("/api/v1/change", json={"csrf_token": "nope"})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == CSRF_FAILED
    token = page_token(client)
    assert client.post("/api/v1/change", headers={"X-CSRF-Token": token}).status_code == 200


def test_session_cookie_binds_the_token_to_the_session(client: TestClient) -> None:
    anonymous = page_token(client)
    client.cookies.set(SESSION_COOKIE, "session-one")
    bound = page_token(client)
    assert bound.startswith("s.") and bound == page_token(client)
    assert client.post("/change", data={"csrf_token": bound}).status_code == 200
    # An anonymous token, or one from another session, is worth nothing with this cookie.
    assert_refused(client.post("/change", data={"csrf_token": anonymous}))
    client.cookies.set(SESSION_COOKIE, "session-two")
    assert_refused(client.post("/change", data={"csrf_token": bound}))


def test_cross_site_requests_are_refused_even_with_a_token(client: TestClient) -> None:
    token = page_token(client)
    data = {"csrf_token": token}
    assert_refused(client.post("/change", data=data, headers={"Sec-Fetch-Site": "cross-site"}))
    assert_refused(client.post("/change", data=data, headers={"Sec-Fetch-Site": "same-site"}))
    assert_refused(client.post("/change", data=data, headers={"Origin": "https://evil.example"}))
    # What browsers send for our own forms (with Referrer-Policy: no-referrer, Origin is null).
    same = {"Sec-Fetch-Site": "same-origin", "Origin": "null"}
    assert client.post("/change", data=data, headers=same).status_code == 200
    own = {"Origin": "http://testserver"}
    assert client.post("/change", data=data, headers=own).status_code == 200


def test_anonymous_tokens_expire_and_cannot_be_forged() -> None:
    from app.security import _anonymous_csrf

    token = _anonymous_csrf(SECRET, 1_000_000, "nonce")
    assert csrf_token_valid(token, secret=SECRET, session_token=None, now=1_000_000)
    lifetime = ANONYMOUS_TOKEN_LIFETIME.total_seconds()
    assert csrf_token_valid(token, secret=SECRET, session_token=None, now=1_000_000 + lifetime)
    assert not csrf_token_valid(
        token, secret=SECRET, session_token=None, now=1_000_000 + lifetime + 1
    )
    assert not csrf_token_valid(token, secret="other", session_token=None, now=1_000_000)
    later = token.replace("1000000", "1000600", 1)  # a newer issue time needs a new MAC
    assert not csrf_token_valid(later, secret=SECRET, session_token=None, now=1_000_600)


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_every_state_changing_route_checks_the_token(tmp_path: Path) -> None:
    """Guarantee 6: any route that accepts POST, PUT, PATCH or DELETE depends on verify_csrf."""
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        secret_key=SECRET,
    )
    app = create_app(settings)
    # Each route as the app serves it, with the dependencies its routers add.
    unsafe = [
        route for route in iter_route_contexts(app.routes)
        if route.methods and route.methods - {"GET", "HEAD", "OPTIONS"}
    ]
    assert len(unsafe) >= 5  # login, logout, the account forms at least
    unprotected = [
        f"{sorted(route.methods)} {route.path}" for route in unsafe
        # A plain Starlette route has no dependant, so nothing checks its token either.
        if getattr(route, "dependant", None) is None
        or verify_csrf not in set(_calls(route.dependant))
    ]
    assert unprotected == []
