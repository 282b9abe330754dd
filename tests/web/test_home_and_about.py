"""/ and /about."""

from __future__ import annotations

from bs4 import BeautifulSoup
from factories import make_deployment, make_vendor
from fastapi.testclient import TestClient
from sqlmodel import Session

from app import vocab


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def test_home_page(client: TestClient, session: Session) -> None:
    huawei = make_vendor(session, "Huawei")
    make_deployment(session, "Belgrade Safe City", country="RS", vendors=[(huawei, "prime")])
    make_deployment(session, "Yerevan cameras", country="AM", is_demo=True)

    response = client.get("/")

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    page = soup(response.text)
    # Landmarks and a skip link.
    for selector in ("header", "nav", "main#main", "footer", 'a.skip-link[href="#main"]'):
        assert page.select_one(selector) is not None, selector
    form = page.select_one("main form")
    assert (form["action"], form["method"]) == ("/deployments", "get")
    assert page.select_one(f'label[for="{form.select_one("input")["id"]}"]') is not None
    numbers = [n.get_text() for n in page.select(".counts .count-number")]
    assert numbers == ["2", "2", "1"]
    latest = [a.get_text() for a in page.select(".latest .card-title a")]
    assert sorted(latest) == ["Belgrade Safe City", "Yerevan cameras"]
    assert page.select_one(".latest .badge-demo") is not None


def test_home_page_of_an_empty_database(client: TestClient) -> None:
    page = soup(client.get("/").text)
    assert "No record has been published yet" in page.select_one(".latest").get_text()


def test_home_fragment(client: TestClient) -> None:
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert soup(response.text).select_one("form") is not None


def test_about_explains_every_vocabulary_and_the_licences(client: TestClient) -> None:
    response = client.get("/about")

    assert response.status_code == 200
    page = soup(response.text)
    text = page.get_text(" ", strip=True)
    for terms in (
        vocab.CAPABILITIES,
        vocab.LIFECYCLE_STATUSES,
        vocab.OVERSIGHT_STATUSES,
        vocab.VERIFICATIONS,
        vocab.GEO_PRECISIONS,
        vocab.SOURCE_TYPES,
        vocab.VENDOR_ROLES,
    ):
        for term in terms:
            assert term.label in text, term
            assert term.explanation in text, term
    # Capabilities as a hierarchy: children nested under their parent.
    nested = page.select("#capability-video_analytics ul li")
    assert "capability-tripwire" in [li["id"] for li in nested]
    assert "CC BY 4.0" in text
    assert "AGPL-3.0-or-later" in text
    assert page.select_one("#demo-data") is not None


def test_about_fragment(client: TestClient) -> None:
    response = client.get("/about", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in response.text
    assert soup(response.text).select_one("h1").get_text() == "About Safe City Watch"
