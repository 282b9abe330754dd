"""Staff accounts for tests: create a user, and sign a TestClient in through the real forms.

    from staff import login, make_user

    admin = make_user(session, role="admin")
    login(client, admin.email, STAFF_PASSWORD)
"""

from __future__ import annotations

from itertools import count

from argon2 import PasswordHasher
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User
from app.security import SESSION_COOKIE
from app.services.accounts import create_user, use_password_hasher

STAFF_PASSWORD = "correct horse battery staple"

# Still argon2id, at a cost tests can afford: a production hash takes ~0.5 s on purpose.
use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
_serial = count(1)


def make_user(
    session: Session,
    email: str = "",
    *,
    role: str = "moderator",
    password: str = STAFF_PASSWORD,
    display_name: str = "",
) -> User:
    """An active staff account, committed (email lower-cased, password argon2id-hashed)."""
    number = next(_serial)
    return create_user(
        session=session,
        email=email or f"staff{number}@example.org",
        display_name=display_name or f"Staff Member {number}",
        password=password,
        role=role,
    )


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    field = BeautifulSoup(html, "html.parser").select_one('form input[name="csrf_token"]')
    assert field is not None, "the page has no form with a CSRF token"
    return str(field["value"])


def login(client: TestClient, email: str, password: str = STAFF_PASSWORD, *,
          totp: str | None = None) -> None:
    """Sign in through GET/POST /login (and /login/code when `totp` is given); fails the
    test unless the client ends up signed in."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, f"login refused ({response.status_code})"
    if totp is not None:
        assert response.headers["location"].startswith("/login/code")
        page = client.get("/login/code")
        response = client.post(
            "/login/code",
            data={"code": totp, "csrf_token": form_token(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303, f"second factor refused ({response.status_code})"
    assert not response.headers["location"].startswith("/login"), "a second factor is owed"
    assert client.cookies.get(SESSION_COOKIE), "no session cookie was set"

