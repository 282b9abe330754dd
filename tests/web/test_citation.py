"""Citing a record: APA-style text, BibTeX and CSL-JSON, with the stable URL and access date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Deployment
from app.services.citation import CitedRecord, bibtex, citation_text, csl_item

UPDATED = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def record(session: Session) -> Deployment:
    return make_deployment(
        session, "Belgrade {Safe} City & 100% of $#_^~\\", slug="belgrade", updated_at=UPDATED
    )


def test_citation_formats() -> None:
    cited = CitedRecord(
        id=7,
        title="Cameras & more",
        url="https://w.example/deployments/7-cameras",
        updated_at=UPDATED,
        accessed_on=date(2026, 1, 2),
    )
    assert citation_text(cited) == (
        "Safe City Watch. (2025, March 5). Cameras & more [Database record]. "
        "Retrieved January 2, 2026, from https://w.example/deployments/7-cameras"
    )
    entry = bibtex(cited)
    assert entry.startswith("@misc{safecitywatch-7,\n")
    assert "  title = {{Cameras \\& more}},\n" in entry
    assert "  url = {https://w.example/deployments/7-cameras},\n" in entry
    assert "  urldate = {2026-01-02},\n" in entry
    assert "  month = mar,\n" in entry
    item = csl_item(cited)
    assert item["type"] == "dataset" and item["URL"] == cited.url
    assert item["accessed"] == {"date-parts": [[2026, 1, 2]]}
    assert item["issued"] == {"date-parts": [[2025, 3, 5]]}


def test_bibtex_escapes_every_special_character(client: TestClient, record: Deployment) -> None:
    response = client.get(f"/deployments/{record.id}/cite.bib")
    assert response.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert f'filename="safecitywatch-{record.id}.bib"' in response.headers["content-disposition"]
    title = next(line for line in response.text.splitlines() if line.startswith("  title"))
    assert title == (
        "  title = {{Belgrade \\{Safe\\} City \\& 100\\% of \\$\\#\\_\\^{}\\~{}\\textbackslash{}}},"
    )
    # Braces balance, so BibTeX reads the entry to its end.
    body = response.text.replace("\\{", "").replace("\\}", "")
    assert body.count("{") == body.count("}")


def test_csl_json_download(client: TestClient, record: Deployment) -> None:
    response = client.get(f"/deployments/{record.id}/cite.json")
    assert response.headers["content-type"] == "application/vnd.citationstyles.csl+json"
    [item] = json.loads(response.text)
    assert item["title"] == record.title
    assert item["URL"] == f"http://testserver/deployments/{record.id}-belgrade"
    today = datetime.now(UTC).date()
    assert item["accessed"] == {"date-parts": [[today.year, today.month, today.day]]}


def test_record_page_shows_the_citations(client: TestClient, record: Deployment) -> None:
    page = BeautifulSoup(client.get(f"/deployments/{record.id}").text, "html.parser")
    cite = page.select_one("section.cite")
    text = cite.select_one("#citation-text").get_text()
    assert text.startswith("Safe City Watch. (2025, March 5). Belgrade {Safe} City")
    assert text.endswith(f"from http://testserver/deployments/{record.id}-belgrade")
    assert cite.select_one("#citation-bibtex").get_text().startswith("@misc{safecitywatch-")
    downloads = [a["href"] for a in cite.select(".citation-downloads a")]
    assert downloads == [
        f"/deployments/{record.id}/cite.bib",
        f"/deployments/{record.id}/cite.json",
        f"/deployments/{record.id}/cite.txt",
    ]
    plain = client.get(downloads[2])
    assert plain.headers["content-type"] == "text/plain; charset=utf-8"
    assert plain.text.strip() == citation_text(
        CitedRecord(
            record.id or 0,
            record.title,
            f"http://testserver/deployments/{record.id}-belgrade",
            UPDATED,
            datetime.now(UTC).date(),
        )
    )


def test_citation_of_a_missing_record_is_404(client: TestClient) -> None:
    assert client.get("/deployments/424242/cite.bib").status_code == 404
