"""/deployments/{id}/history: public, newest first, readable diffs; revisions cannot be edited."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment, make_source, make_vendor
from fastapi.testclient import TestClient
from moderation_data import make_staff
from routes import STATE_CHANGING, app_routes
from sqlmodel import Session

from app.models import Deployment
from app.services import editing
from app.services.drafts import parse_deployment_form


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture
def edited(session: Session) -> Deployment:
    """A record with two revisions: an edit (status, summary, a vendor) then archiving."""
    staff = make_staff(session, "Ana")
    deployment = make_deployment(
        session, "Belgrade cameras", summary="Cameras in the centre.", status="planned",
        sources=[make_source(session, "Article")],
    )
    make_vendor(session, "Huawei")
    draft, errors = parse_deployment_form(
        [("title", "Belgrade cameras"), ("country", "RS"), ("status", "operational"),
         ("summary", "Cameras in the centre and at the port."),
         ("vendor-0-name", "Huawei"), ("vendor-0-role", "prime")],
        with_sources=False,
    )
    assert errors == {}
    editing.edit_deployment(session=session, deployment=deployment, editor=staff, draft=draft,
                            summary="Status and vendor from the 2023 audit")
    editing.archive_deployment(session=session, deployment=deployment, editor=staff,
                               reason="Merged into record 12")
    return deployment


def test_history_shows_every_revision_newest_first_with_diffs(
    client: TestClient, edited: Deployment
) -> None:
    response = client.get(f"/deployments/{edited.id}/history")
    assert response.status_code == 200
    html = soup(response.text)
    assert html.select_one("html") is not None
    revisions = html.select("li.revision")
    assert [r["id"] for r in revisions] == ["revision-2", "revision-1"]
    assert [r.select_one(".revision-summary").text for r in revisions] == [
        "Archived: Merged into record 12", "Status and vendor from the 2023 audit"]
    assert {r.select_one(".actor").text for r in revisions} == {"Ana"}
    edit = {dt.text: dd for dt, dd in zip(revisions[1].select("dt"), revisions[1].select("dd"),
                                          strict=True)}
    assert set(edit) == {"Summary", "Lifecycle status", "Vendors"}
    assert edit["Lifecycle status"].select_one("del").text.endswith("Planned")
    assert edit["Lifecycle status"].select_one("ins").text.endswith("Operational")
    assert [i.text.strip() for i in edit["Summary"].select("ins")] == ["and at the port"]
    assert edit["Vendors"].select_one("ins").text.endswith("Huawei (prime)")
    assert "Merged into record 12" in html.select_one(".banner-archived").text


def test_history_fragment_for_htmx(client: TestClient, edited: Deployment) -> None:
    response = client.get(f"/deployments/{edited.id}/history", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and "<body" not in response.text
    assert len(soup(response.text).select("li.revision")) == 2
    assert "HX-Request" in response.headers["Vary"]


def test_record_page_shows_last_changed_and_links_its_history(
    client: TestClient, edited: Deployment
) -> None:
    html = soup(client.get(f"/deployments/{edited.id}").text)
    changed = html.select_one("time.last-changed")
    assert changed is not None and changed.text == edited.updated_at.date().isoformat()
    link = html.select_one('a[rel="version-history"]')
    assert link["href"] == f"/deployments/{edited.id}/history"


def test_a_record_without_revisions_says_so(client: TestClient, session: Session) -> None:
    deployment = make_deployment(session, "Quiet", sources=[make_source(session)])
    html = soup(client.get(f"/deployments/{deployment.id}/history").text)
    assert html.select("li.revision") == []
    assert html.select_one(".empty") is not None


def test_history_of_unknown_or_hidden_records_is_404(client: TestClient, session: Session) -> None:
    hidden = make_deployment(session, "Draft", state="draft", sources=[make_source(session)])
    assert client.get(f"/deployments/{hidden.id}/history").status_code == 404
    assert client.get("/deployments/999999/history").status_code == 404
    assert client.get("/deployments/99999999999999999999/history").status_code == 404


def test_revisions_cannot_be_changed_over_http(client: TestClient, edited: Deployment) -> None:
    """No route writes revisions: the history only answers GET, and no route path names them."""
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"/deployments/{edited.id}/history")
        assert response.status_code == 405
    routes = app_routes(client.app)
    assert any(r.name == "deployment_history" for r in routes)
    writers = [r.path for r in routes if ("revision" in r.path or "history" in r.path)
               and r.methods & STATE_CHANGING]
    assert writers == []
