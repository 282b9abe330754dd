"""Staff access, CSRF and escaping, checked over every route the app has.

- An authorization matrix: every route under /moderation, /staff and /account, for an
  anonymous visitor, a moderator and an admin. The routes are enumerated from the app, so a new
  staff route fails the test until it is given its place in ACCESS.
- CSRF: every POST/PUT/PATCH/DELETE route in the whole app answers 403 without a token.
- XSS: script payloads typed into every field of the public form stay inert text on the
  queue, the review screen, the publish form, the record page, its history and search results.

Authorization and escaping do not depend on the database, so these run on SQLite only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment, make_oversight_event, make_source
from fastapi.testclient import TestClient
from html_forms import as_data, form_fields, replaced
from moderation_data import make_submission
from routes import STATE_CHANGING, RouteInfo, app_routes
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from staff import form_token, login, make_user

from app.config import Settings
from app.models import Deployment, Submission

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

STAFF_PREFIXES = ("/moderation", "/staff", "/account")
STAFF, ADMIN = "staff", "admin"
# Who may use each staff route: any signed-in staff member, or admins only.
ACCESS: dict[str, str] = {
    # own account (app/web/account.py)
    "account": STAFF, "two_factor_setup": STAFF, "change_password": STAFF,
    "two_factor_confirm": STAFF, "two_factor_off": STAFF, "new_recovery_codes": STAFF,
    # user administration and the audit log (app/web/staff_users.py)
    "staff_users": ADMIN, "staff_audit": ADMIN, "add_user": ADMIN, "set_user_active": ADMIN,
    "set_user_role": ADMIN, "reset_user": ADMIN,
    # importing records from files (app/web/staff_import.py)
    "staff_import": ADMIN, "staff_import_check": ADMIN, "staff_import_confirm": ADMIN,
    "staff_import_result": ADMIN,
    # moderation (app/web/moderation.py)
    "moderation": STAFF, "moderation_bulk": STAFF, "moderation_review": STAFF,
    "moderation_image": STAFF, "moderation_claim": STAFF, "moderation_release": STAFF,
    "moderation_publish": STAFF, "moderation_merge": STAFF, "moderation_merge_post": STAFF,
    "moderation_reject": STAFF, "moderation_spam": STAFF,
    # editing published records (app/web/staff_edit.py)
    "staff_deployment_lookup": STAFF, "staff_deployment_edit": STAFF,
    "staff_deployment_edit_post": STAFF, "staff_deployment_archive": STAFF,
    "staff_deployment_archive_post": STAFF, "staff_deployment_restore": STAFF,
    "staff_source_new": STAFF, "staff_source_new_post": STAFF, "staff_source_edit": STAFF,
    "staff_source_edit_post": STAFF, "staff_source_remove": STAFF, "staff_event_new": STAFF,
    "staff_event_new_post": STAFF, "staff_event_edit": STAFF, "staff_event_edit_post": STAFF,
    "staff_event_remove": STAFF,
}


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # The public form refuses forms sent back too fast; tests never wait.
    return Settings(data_dir=tmp_path / "data", database_url=database_url,
                    secret_key="test-secret", submission_min_seconds=0)


@pytest.fixture
def new_client(settings: Settings, engine: Engine) -> Iterator[Any]:
    from app.main import create_app

    clients: list[TestClient] = []

    def make() -> TestClient:
        client = TestClient(create_app(settings, engine=engine))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def staff_routes(app: Any) -> list[RouteInfo]:
    return [r for r in app_routes(app) if r.path.startswith(STAFF_PREFIXES)]


# --- the authorization matrix ------------------------------------------------------------------


def test_every_staff_route_is_in_the_matrix(client: TestClient) -> None:
    names = {route.name for route in staff_routes(client.app)}
    assert names == set(ACCESS), (
        "give each new staff route its place in ACCESS; stale entries must go"
    )


@pytest.fixture
def targets(session: Session) -> dict[str, str]:
    """Path parameters naming real things, so allowed requests reach their handlers."""
    sources = [make_source(session, "First"), make_source(session, "Second")]
    deployment = make_deployment(session, "Record", sources=sources)
    event = make_oversight_event(session, deployment, kind="audit", description="An audit.")
    submission = make_submission(session)
    other = make_user(session, display_name="Someone else")
    return {
        "deployment_id": str(deployment.id), "source_id": str(sources[0].id),
        "event_id": str(event.id), "submission_id": str(submission.id),
        "file_name": "missing.jpg", "user_id": str(other.id), "entry_id": "1",
    }


def concrete(path: str, targets: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return targets[match.group(1)]

    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)


def requests_for(app: Any, targets: dict[str, str]) -> list[tuple[RouteInfo, str, str]]:
    """(route, method, url) for every staff route; safe methods first, so the later POSTs
    (archiving, removing) cannot hide a GET behind a 404."""
    found = []
    for route in staff_routes(app):
        for method in sorted(route.methods - {"HEAD"}):
            found.append((route, method, concrete(route.path, targets)))
    return sorted(found, key=lambda item: (item[1] != "GET", item[2]))


def send(client: TestClient, method: str, url: str, token: str) -> Any:
    if method == "GET":
        return client.get(url, follow_redirects=False)
    return client.request(method, url, data={"csrf_token": token}, follow_redirects=False)


def test_anonymous_visitors_are_sent_to_sign_in(
    new_client: Any, targets: dict[str, str]
) -> None:
    client = new_client()
    token = form_token(client.get("/login").text)  # a valid anonymous token: CSRF passes
    wrong = []
    for route, method, url in requests_for(client.app, targets):
        response = send(client, method, url, token)
        location = response.headers.get("location", "")
        if response.status_code != 303 or not location.startswith("/login"):
            wrong.append((route.name, method, response.status_code, location))
    assert wrong == []
    htmx = client.get("/moderation", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_staff_reach_their_routes_and_only_admins_the_admin_ones(
    new_client: Any, session: Session, targets: dict[str, str], role: str
) -> None:
    user = make_user(session, role=role)
    client = new_client()
    login(client, user.email)
    token = form_token(client.get("/moderation").text)
    wrong = []
    for route, method, url in requests_for(client.app, targets):
        response = send(client, method, url, token)
        status, location = response.status_code, response.headers.get("location", "")
        allowed = ACCESS[route.name] == STAFF or role == "admin"
        if allowed:
            refused = status in (401, 403) or location.startswith("/login") or status >= 500
        else:
            refused = status == 403
        if refused == allowed:
            wrong.append((route.name, method, status, location))
    assert wrong == []
    # Still signed in after the whole tour (no request above ended the session).
    assert client.get("/moderation", follow_redirects=False).status_code == 200


# --- CSRF on every state-changing route ------------------------------------------------------


def test_every_state_changing_route_refuses_a_request_without_a_token(
    new_client: Any, session: Session, targets: dict[str, str]
) -> None:
    admin = make_user(session, role="admin")
    signed_in = new_client()
    login(signed_in, admin.email)
    anonymous = new_client()
    changing = [(r, m) for r in app_routes(signed_in.app) for m in r.methods & STATE_CHANGING]
    assert len(changing) > 20
    wrong = []
    for route, method in changing:
        url = concrete(route.path, targets)
        for who, client in (("admin", signed_in), ("anonymous", anonymous)):
            response = client.request(method, url, data={"field": "value"},
                                      headers={"HX-Request": "true"}, follow_redirects=False)
            if response.status_code != 403:
                wrong.append((route.name, method, who, response.status_code))
            forged = client.request(method, url, data={"csrf_token": "s." + "0" * 64},
                                    follow_redirects=False)
            if forged.status_code != 403:
                wrong.append((route.name, method, who, "forged", forged.status_code))
    assert wrong == []
    session.expire_all()
    assert session.exec(select(Submission.state)).all() == ["pending"]


# --- XSS ---------------------------------------------------------------------------------------


def payload(field: str) -> str:
    return f'<script>alert("{field}")</script>"><img src=x onerror=alert("{field}")>'


TEXT_FIELDS = ("title", "region", "city", "site", "summary", "programme", "scale_note",
               "contact", "source_1_title", "source_1_publisher", "source_2_title")


def public_submission(client: TestClient) -> None:
    page = client.get("/submit")
    form = soup(page.text).select_one("form#submission-form")
    assert form is not None
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    data.update({name: payload(name) for name in TEXT_FIELDS})
    data.update({
        "country": "RS", "status": "operational", "announced_on": "2020",
        "vendors": payload("vendor"), "operators": payload("operator"),
        "source_1_url": 'https://news.example/a"><script>alert("url")</script>',
        "source_1_source_type": "news", "source_2_source_type": "ngo_report",
    })
    response = client.post("/submit", data=data,
                           files={"image_1": ("", b"", "application/octet-stream")})
    assert response.status_code == 200, soup(response.text).select_one("main").get_text()[:500]


def assert_inert(html: str, shown: tuple[str, ...], page: str) -> None:
    """No payload became markup, and each expected one is there as text or an attribute."""
    document = soup(html)
    assert document.select("script:not([src])") == [], page
    assert [s["src"] for s in document.select("script[src]")
            if not str(s["src"]).startswith("/static/")] == [], page
    assert document.select('img[src="x"]') == [], page
    handlers = [(tag.name, name) for tag in document.find_all(True) for name in tag.attrs
                if name.lower().startswith("on")]
    assert handlers == [], page
    hrefs = [str(a.get("href", "")) for a in document.select("[href]")]
    # (base.html's own favicon is the empty "data:,")
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:t"))], page
    values = " ".join(str(v) for tag in document.find_all(True) for v in tag.attrs.values())
    text = document.get_text() + values
    missing = [field for field in shown if payload(field) not in text]
    assert missing == [], f"{page}: payloads not shown as text: {missing}"


def test_script_payloads_in_every_field_stay_text_on_every_page(
    new_client: Any, session: Session
) -> None:
    public = new_client()
    public_submission(public)
    submission = session.exec(select(Submission)).one()
    moderator = make_user(session, display_name=payload("staff name"))
    client = new_client()
    login(client, moderator.email)

    assert_inert(client.get("/moderation").text, ("title", "staff name"), "queue")
    review = client.get(f"/moderation/{submission.id}").text
    assert_inert(review, ("title", "summary", "city", "vendor", "operator", "contact",
                          "source_1_title", "source_1_publisher"), "review")
    token = form_token(review)
    client.post(f"/moderation/{submission.id}/claim", data={"csrf_token": token})
    review = client.get(f"/moderation/{submission.id}").text
    assert_inert(review, ("title", "summary", "region", "site", "programme", "scale_note"),
                 "publish form")
    action, items = form_fields(review, "form.publish-form")
    published = client.post(action, data=as_data(replaced(items)), follow_redirects=False)
    assert published.status_code == 303, soup(published.text).select_one("main").get_text()

    deployment = session.exec(select(Deployment)).one()
    record = client.get(f"/deployments/{deployment.id}", follow_redirects=True).text
    assert_inert(record, ("title", "summary", "city", "vendor", "operator", "source_1_title",
                          "source_1_publisher"), "record")
    link = next(a for a in soup(record).select(".sources a") if "news.example" in a["href"])
    assert link["href"] == 'https://news.example/a"><script>alert("url")</script>'
    assert_inert(client.get(f"/deployments/{deployment.id}/history").text,
                 ("title", "summary", "vendor", "operator", "staff name"), "history")
    results = client.get("/deployments", params={"q": "script alert title"}).text
    assert_inert(results, ("title",), "search results")
    fragment = client.get("/deployments", params={"q": "script alert title"},
                          headers={"HX-Request": "true", "HX-Target": "search-results"}).text
    assert_inert(fragment, ("title",), "search results fragment")
    assert_inert(client.get(f"/staff/deployments/{deployment.id}/edit").text,
                 ("title", "summary", "vendor", "operator"), "edit form")
    decided = soup(client.get(f"/moderation/{submission.id}").text)
    assert decided.select_one(".contact") is None  # erased when the submission was published
    assert payload("contact") not in decided.get_text()
