"""Administration of staff accounts and the audit log: admins only, plain forms, clear errors."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from staff import STAFF_PASSWORD, form_token, login, make_user

from app.models import AuditEntry, User
from app.services import audit


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def signed_in_admin(client: TestClient, session: Session) -> User:
    admin = make_user(session, "admin@example.org", role="admin", display_name="Admin One")
    login(client, "admin@example.org")
    return admin


def test_admin_pages_refuse_moderators_and_send_others_to_sign_in(
    client: TestClient, session: Session
) -> None:
    for path in ("/staff/users", "/staff/audit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2Fstaff%2F")
    make_user(session, "mod@example.org")
    login(client, "mod@example.org")
    for path in ("/staff/users", "/staff/audit"):
        assert client.get(path).status_code == 403
    token = form_token(client.get("/account").text)
    data = {"email": "x@example.org", "display_name": "X", "role": "admin",
            "password": STAFF_PASSWORD, "csrf_token": token}
    assert client.post("/staff/users", data=data).status_code == 403
    assert len(session.exec(select(User)).all()) == 1


def test_users_page_lists_accounts_with_admin_links(client: TestClient, session: Session) -> None:
    signed_in_admin(client, session)
    make_user(session, "mod@example.org", display_name="Mod Two")
    page = soup(client.get("/staff/users").text)
    names = [th.get_text(" ", strip=True) for th in page.select("tbody th[scope=row]")]
    assert names == ["Admin One (you)", "Mod Two"]
    bar = page.select_one("nav.staff-bar")
    assert bar.select_one('a[href="/staff/users"][aria-current="page"]')
    assert bar.select_one('a[href="/staff/audit"]')
    for form in page.select("main form[method=post]"):
        assert form.select_one('input[name="csrf_token"]'), form["action"]


def test_add_user_with_field_errors_then_success(client: TestClient, session: Session) -> None:
    signed_in_admin(client, session)
    token = form_token(client.get("/staff/users").text)
    bad = {"email": "not-an-address", "display_name": " ", "role": "root",
           "password": "short", "csrf_token": token}
    response = client.post("/staff/users", data=bad)
    assert response.status_code == 422
    page = soup(response.text)
    for field in ("email", "display_name", "role", "password"):
        assert page.select_one(f"#{field}-error"), field
    assert page.select_one("#email")["value"] == "not-an-address"
    good = {"email": "New@Example.org", "display_name": "New Person", "role": "moderator",
            "password": "a long first password", "csrf_token": token}
    response = client.post("/staff/users", data=good, follow_redirects=False)
    assert response.status_code == 303
    added = session.exec(select(User).where(User.email == "new@example.org")).one()
    assert response.headers["location"] == f"/staff/users?done=added#user-{added.id}"
    again = client.post("/staff/users", data=good)
    assert "exists already" in soup(again.text).select_one("#email-error").get_text()


def test_disable_enable_and_re_role(client: TestClient, session: Session) -> None:
    admin = signed_in_admin(client, session)
    other = make_user(session, "other@example.org")
    token = form_token(client.get("/staff/users").text)
    response = client.post(
        f"/staff/users/{other.id}/role", data={"role": "admin", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    client.post(f"/staff/users/{other.id}/active", data={"active": "false", "csrf_token": token})
    session.refresh(other)
    assert other.role == "admin" and not other.active
    # With the other admin disabled, this one is the last: no self-demotion, no self-disabling.
    demote = client.post(
        f"/staff/users/{admin.id}/role", data={"role": "moderator", "csrf_token": token}
    )
    assert demote.status_code == 422
    error = soup(demote.text).select_one(f"#user-{admin.id}-error").get_text()
    assert "last active administrator" in error
    disable = client.post(
        f"/staff/users/{admin.id}/active", data={"active": "false", "csrf_token": token}
    )
    assert disable.status_code == 422
    client.post(f"/staff/users/{other.id}/active", data={"active": "true", "csrf_token": token})
    session.refresh(other)
    assert other.active
    for unknown in ("9999", "9" * 25):  # beyond 64 bits SQLite cannot bind the number
        assert client.post(
            f"/staff/users/{unknown}/active", data={"active": "true", "csrf_token": token}
        ).status_code == 404
    actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert actions[-3:] == ["user_role", "user_disable", "user_enable"]


def test_reset_lost_credentials(client: TestClient, session: Session) -> None:
    signed_in_admin(client, session)
    other = make_user(session, "lost@example.org")
    token = form_token(client.get("/staff/users").text)
    response = client.post(
        f"/staff/users/{other.id}/reset",
        data={"password": "temporary passphrase", "csrf_token": token}, follow_redirects=False,
    )
    assert response.status_code == 303
    client.cookies.clear()
    login(client, "lost@example.org", "temporary passphrase")


def test_audit_log_pages(client: TestClient, session: Session) -> None:
    admin = signed_in_admin(client, session)
    for number in range(60):
        audit.record(session=session, actor=admin, action="publish", target=f"deployment {number}")
    session.commit()
    page = soup(client.get("/staff/audit").text)
    rows = page.select("#audit-log tbody tr")
    assert len(rows) == 50
    assert "deployment 59" in rows[0].get_text()
    older = page.select_one('#audit-log a[rel="next"]')
    assert older["href"] == "/staff/audit?page=2" and older["hx-get"] == older["href"]
    fragment = client.get("/staff/audit?page=2", headers={"HX-Request": "true"})
    part = soup(fragment.text)
    assert part.select_one("body") is None and part.select_one("div#audit-log")
    assert "HX-Request" in fragment.headers["Vary"]
    # user_add (make_user) + login + 60 entries: 62, so page 2 holds 12.
    assert len(part.select("tbody tr")) == 12
    assert client.get("/staff/audit?page=99").status_code == 200
    assert client.get("/staff/audit?page=abc").status_code == 422
