"""/deployments/{id}-{slug}: every field, sources, oversight, citation, canonical address."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from factories import (
    make_deployment,
    make_organisation,
    make_oversight_event,
    make_source,
    make_vendor,
)
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models import Deployment


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
def record(session: Session) -> Deployment:
    huawei = make_vendor(session, "Huawei", country="CN")
    bank = make_vendor(session, "Exim Bank")
    ministry = make_organisation(
        session, "Ministry of Interior", kind="interior_ministry", country="RS"
    )
    article = make_source(
        session,
        "Huawei cameras in Belgrade",
        url="https://news.example/belgrade",
        publisher="N1",
        published_on="2019-03-05",
        source_type="news",
        archived_url="https://archive.example/belgrade",
        excerpt="more than 100 HD cameras",
    )
    offline = make_source(session, "Leaflet", url="javascript:alert(1)", publisher="Ministry")
    law = make_source(session, "Data protection opinion", url="https://dpa.example/opinion")
    deployment = make_deployment(
        session,
        "Belgrade Safe City",
        summary="First paragraph.\n\nSecond paragraph.",
        country="RS",
        region="Central Serbia",
        city="Belgrade",
        site="City centre",
        geo_precision="city",
        programme="Safe Society",
        status="operational",
        announced_on="2017",
        started_on="2019-03",
        ended_on=None,
        camera_count=1000,
        site_count=60,
        scale_note="100+ cameras at 60+ sites",
        financing="loan",
        funder="Exim Bank",
        contract_value=Decimal("12500000"),
        currency="EUR",
        oversight_status="challenged",
        verification="corroborated",
        vendors=[(huawei, "prime"), (bank, "financier")],
        operators=[ministry],
        capabilities=["cctv", "tripwire"],
        sources=[(article, "More than 100 cameras at 60 sites"), offline],
        is_demo=True,
    )
    make_oversight_event(
        session,
        deployment,
        date="2019-05",
        kind="dpa_action",
        body="Commissioner",
        outcome="Impact assessment found inadequate",
        description="The DPA reviewed the DPIA.",
        sources=[law],
    )
    make_oversight_event(
        session, deployment, date="2018", kind="foi_request", body="SHARE Foundation"
    )
    return deployment


def path(deployment: Deployment) -> str:
    return f"/deployments/{deployment.id}-{deployment.slug}"


def test_record_page_shows_every_field(client: TestClient, record: Deployment) -> None:
    response = client.get(path(record))

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    page = soup(response.text)
    assert page.select_one("h1").get_text(strip=True) == "Belgrade Safe City"
    assert page.select_one('link[rel="canonical"]')["href"] == f"http://testserver{path(record)}"
    assert [p.get_text() for p in page.select(".record-summary p")] == [
        "First paragraph.",
        "Second paragraph.",
    ]
    facts = {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True)
        for dt in page.select("#facts-heading + dl dt")
    }
    assert "City centre, Belgrade, Central Serbia, Serbia" in facts["Place"]
    assert facts["Programme"] == "Safe Society"
    assert facts["Status"].startswith("Operational")
    assert facts["Announced"] == "2017"
    assert facts["Started"] == "March 2019"
    assert "1,000 cameras at 60 sites" in facts["Scale"] and "100+ cameras" in facts["Scale"]
    assert facts["Financing"] == "loan, funded by Exim Bank"
    assert facts["Contract value"] == "EUR 12,500,000"
    assert facts["Verification"].startswith("Corroborated")
    vendors = [li.get_text(" ", strip=True) for li in page.select("ul.vendors li")]
    assert vendors == ["Exim Bank — Financier", "Huawei — Prime contractor"]
    assert page.select_one("ul.vendors a")["href"] == "/vendors/exim-bank"
    assert "Ministry of Interior" in page.select_one("ul.operators").get_text()
    capabilities = page.select_one("ul.capabilities").get_text(" ", strip=True)
    assert "Tripwire detection" in capabilities and "video analytics" in capabilities
    assert page.select_one('ul.capabilities a[href="/capabilities/video_analytics"]') is not None


def test_record_page_shows_oversight_and_sources(client: TestClient, record: Deployment) -> None:
    page = soup(client.get(path(record)).text)

    status = page.select_one(".oversight-status").get_text(" ", strip=True)
    assert status.startswith("Challenged") and "court case is pending" in status
    events = page.select(".timeline-event")
    assert [e.select_one(".event-date").get_text() for e in events] == ["2018", "May 2019"]
    assert "Commissioner" in events[1].get_text()
    assert events[1].select_one('a[href="https://dpa.example/opinion"]') is not None

    sources = page.select("ol.sources > li")
    assert len(sources) == 2
    first = sources[0]
    assert first.select_one(".source-title a")["href"] == "https://news.example/belgrade"
    meta = first.select_one(".source-meta").get_text(" ", strip=True)
    assert "N1" in meta and "5 March 2019" in meta and "News" in meta
    assert first.select_one('a[href="https://archive.example/belgrade"]') is not None
    assert first.select_one("blockquote").get_text(strip=True) == "more than 100 HD cameras"
    assert "More than 100 cameras at 60 sites" in first.select_one(".source-claim").get_text()
    # A link that is not http(s) is shown as text, never as an href.
    assert sources[1].select_one("a") is None
    assert "javascript:" not in str(page.select_one("ol.sources"))


def test_citation_box(client: TestClient, record: Deployment) -> None:
    page = soup(client.get(path(record)).text)
    cite = page.select_one("section.cite")
    assert cite.select_one(".stable-url")["href"] == f"http://testserver{path(record)}"
    text = cite.get_text(" ", strip=True)
    assert "Belgrade Safe City" in text and "Safe City Watch" in text
    assert datetime.now(UTC).date().isoformat() in text


def test_citation_uses_the_configured_base_url(
    tmp_path: Path, database_url: str, engine: Engine, record: Deployment
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="x",
        base_url="https://watch.example/",
    )
    with TestClient(create_app(settings, engine=engine)) as client:
        page = soup(client.get(f"/deployments/{record.id}").text)
    expected = f"https://watch.example{path(record)}"
    assert page.select_one('link[rel="canonical"]')["href"] == expected
    assert page.select_one(".stable-url")["href"] == expected


def test_demo_marker(client: TestClient, record: Deployment) -> None:
    page = soup(client.get(path(record)).text)
    assert "Demo data" in page.select_one(".banner-demo").get_text()


def test_record_fragment(client: TestClient, record: Deployment) -> None:
    response = client.get(path(record), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in response.text
    fragment = soup(response.text)
    assert fragment.select_one("h1").get_text(strip=True) == "Belgrade Safe City"
    assert fragment.select_one("header.site-header") is None


def test_id_alone_renders_with_the_canonical_link(client: TestClient, record: Deployment) -> None:
    response = client.get(f"/deployments/{record.id}", follow_redirects=False)
    assert response.status_code == 200
    page = soup(response.text)
    assert page.select_one('link[rel="canonical"]')["href"].endswith(path(record))


def test_wrong_slug_redirects_to_the_canonical_address(
    client: TestClient, record: Deployment
) -> None:
    response = client.get(f"/deployments/{record.id}-old-title", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == path(record)


def test_archived_record_keeps_its_address_and_says_why(
    client: TestClient, session: Session
) -> None:
    archived = make_deployment(
        session, "Old project", state="archived", archived_reason="Merged into record 1"
    )
    response = client.get(path(archived))
    assert response.status_code == 200
    banner = soup(response.text).select_one(".banner-archived")
    assert banner is not None
    assert "Merged into record 1" in banner.get_text()


@pytest.mark.parametrize(
    "url",
    ["/deployments/424242", "/deployments/424242-nothing", "/deployments/99999999999999999999999"],
)
def test_unknown_record_is_a_404_page(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    page = soup(response.text)
    assert page.select_one("h1").get_text(strip=True) == "Page not found"
    assert page.select_one('form[action="/deployments"]') is not None


def test_unpublished_record_is_hidden(client: TestClient, session: Session) -> None:
    draft = make_deployment(session, "Draft", state="draft")
    assert client.get(path(draft)).status_code == 404


def test_title_with_markup_is_escaped(client: TestClient, session: Session) -> None:
    nasty = make_deployment(
        session,
        "<script>alert(1)</script>",
        summary="<img src=x onerror=alert(1)>",
        scale_note="<b>",
    )
    response = client.get(f"/deployments/{nasty.id}", follow_redirects=True)

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "<img src=x" not in response.text
    page = soup(response.text)
    assert page.select_one("h1").get_text() == "<script>alert(1)</script>"
    assert page.title.get_text().startswith("<script>alert(1)</script>")
    assert all(script.get("src") for script in page.find_all("script"))
