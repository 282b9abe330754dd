"""/api/v1: the search page's filters over JSON, one record with its links, vendors,
organisations, vocabularies; problem+json errors; CORS; the OpenAPI document and /api/docs."""

from __future__ import annotations

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
from sqlmodel import Session

from app.models import Deployment


@pytest.fixture
def records(session: Session) -> dict[str, Deployment]:
    huawei = make_vendor(session, "Huawei", country="CN")
    bank = make_vendor(session, "Exim Bank")
    ministry = make_organisation(session, "Ministry of Interior", kind="interior_ministry")
    article = make_source(session, "Cameras in Belgrade", url="https://news.example/a")
    law = make_source(session, "DPA opinion", url="https://dpa.example/o")
    belgrade = make_deployment(
        session,
        "Belgrade Safe City",
        country="RS",
        city="Belgrade",
        status="operational",
        camera_count=1000,
        vendors=[(huawei, "prime"), (bank, "financier")],
        operators=[ministry],
        capabilities=["cctv", "tripwire"],
        sources=[(article, "1000 cameras")],
    )
    make_oversight_event(
        session, belgrade, kind="dpa_action", date="2020-05", body="Commissioner", sources=[law]
    )
    budapest = make_deployment(
        session, "Budapest cameras", country="HU", status="pilot", vendors=[(huawei, "supplier")]
    )
    archived = make_deployment(
        session, "Withdrawn record", country="RS", state="archived", archived_reason="Duplicate"
    )
    return {"belgrade": belgrade, "budapest": budapest, "archived": archived}


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_list_is_the_search_with_a_total(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    body = client.get("/api/v1/deployments").json()
    assert body["total"] == 2  # the archived record is not listed, as on the search page
    assert [item["title"] for item in body["items"]] == ["Budapest cameras", "Belgrade Safe City"]
    belgrade = body["items"][1]
    assert belgrade["vendors"] == [
        {"slug": "exim-bank", "name": "Exim Bank", "country": None, "role": "financier"},
        {"slug": "huawei", "name": "Huawei", "country": "CN", "role": "prime"},
    ]
    assert belgrade["capabilities"] == ["cctv", "tripwire"]
    assert belgrade["links"]["html"].endswith(f"/deployments/{belgrade['id']}-belgrade-safe-city")
    assert belgrade["created_at"].endswith("+00:00") or belgrade["created_at"].endswith("Z")


def test_list_filters_sorts_and_query_language(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    def titles(query: str) -> list[str]:
        return [
            item["title"] for item in client.get(f"/api/v1/deployments?{query}").json()["items"]
        ]

    assert titles("country=RS") == ["Belgrade Safe City"]
    assert titles("vendor=huawei&sort=title") == ["Belgrade Safe City", "Budapest cameras"]
    assert titles("capability=video_analytics") == ["Belgrade Safe City"]  # parent includes child
    assert titles("q=cameras -belgrade") == ["Budapest cameras"]
    assert titles("status=pilot&status=operational&sort=title") == [
        "Belgrade Safe City",
        "Budapest cameras",
    ]
    body = client.get("/api/v1/deployments?q=belgrade&country=RS").json()
    assert body["query"] == {"q": "belgrade", "country": ["RS"], "sort": "relevance"}


def test_list_pages(client: TestClient, records: dict[str, Deployment]) -> None:
    first = client.get("/api/v1/deployments?per_page=1").json()
    assert (first["total"], first["pages"], len(first["items"])) == (2, 2, 1)
    assert first["links"]["prev"] is None
    second = client.get(first["links"]["next"]).json()
    assert second["page"] == 2 and second["links"]["next"] is None
    assert second["items"][0]["id"] != first["items"][0]["id"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("country=XX", "country"),
        ("vendor=nobody", "vendor"),
        ("status=sideways", "status"),
        ("year_from=19", "year_from"),
        ("per_page=1000", "per_page"),
        ("page=0", "page"),
    ],
)
def test_bad_parameters_are_problems_naming_the_parameter(
    client: TestClient, records: dict[str, Deployment], query: str, field: str
) -> None:
    body = assert_problem(client.get(f"/api/v1/deployments?{query}"), 422)
    assert field in body["detail"]  # type: ignore[operator]
    assert field in [issue["field"] for issue in body["errors"]]  # type: ignore[attr-defined]


def test_one_deployment_with_everything_it_links_to(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    belgrade = records["belgrade"]
    body = client.get(f"/api/v1/deployments/{belgrade.id}").json()
    assert body["title"] == "Belgrade Safe City" and body["camera_count"] == 1000
    assert [v["role"] for v in body["vendors"]] == ["financier", "prime"]
    assert body["operators"][0]["name"] == "Ministry of Interior"
    assert body["operators"][0]["kind"] == "interior_ministry"
    assert [c["key"] for c in body["capabilities"]] == ["cctv", "tripwire"]
    assert body["capabilities"][1]["parent_key"] == "video_analytics"
    assert body["sources"][0]["url"] == "https://news.example/a"
    assert body["sources"][0]["claim"] == "1000 cameras"
    event = body["oversight_events"][0]
    assert (event["kind"], event["date"], event["sources"][0]["title"]) == (
        "dpa_action",
        "2020-05",
        "DPA opinion",
    )
    links = body["links"]
    assert links["api"] == f"http://testserver/api/v1/deployments/{belgrade.id}"
    assert links["revisions"] == f"http://testserver/deployments/{belgrade.id}/history"
    assert client.get(links["citation_bibtex"]).status_code == 200


def test_archived_records_keep_their_address_and_missing_ones_are_problems(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    archived = client.get(f"/api/v1/deployments/{records['archived'].id}").json()
    assert (archived["state"], archived["archived_reason"]) == ("archived", "Duplicate")
    body = assert_problem(client.get("/api/v1/deployments/999999"), 404)
    assert "999999" in body["detail"]  # type: ignore[operator]
    assert_problem(client.get("/api/v1/deployments/abc"), 422)
    assert_problem(client.get("/api/v1/deployments/99999999999999999999999"), 404)
    assert_problem(client.get("/api/v1/nowhere"), 404)


def test_vendors_organisations_and_vocabularies(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    vendors = client.get("/api/v1/vendors").json()
    assert [(v["slug"], v["deployments"]) for v in vendors["items"]] == [
        ("exim-bank", 1),
        ("huawei", 2),
    ]
    huawei = client.get("/api/v1/vendors/huawei").json()
    assert huawei["country"] == "CN" and huawei["subsidiaries"] == []
    assert client.get(huawei["deployments"]).json()["total"] == 2
    assert_problem(client.get("/api/v1/vendors/nobody"), 404)
    assert_problem(client.get("/api/v1/vendors/Not%20A%20Slug"), 422)
    organisations = client.get("/api/v1/organisations?per_page=1").json()
    assert organisations["total"] == 1
    assert organisations["items"][0]["deployments"] == 1
    vocabularies = client.get("/api/v1/vocabularies").json()
    names = [v["name"] for v in vocabularies]
    assert "capabilities" in names and "oversight_statuses" in names
    capabilities = client.get("/api/v1/vocabularies/capabilities").json()
    tripwire = next(t for t in capabilities["terms"] if t["key"] == "tripwire")
    assert tripwire["parent"] == "video_analytics"
    assert_problem(client.get("/api/v1/vocabularies/colours"), 404)


def test_reads_are_open_to_other_origins_and_pages_are_not(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    response = client.get("/api/v1/deployments", headers={"Origin": "https://elsewhere.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    preflight = client.options(
        "/api/v1/deployments",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["x-content-type-options"] == "nosniff"
    page = client.get("/deployments", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in page.headers
    assert client.post("/api/v1/deployments").status_code == 405


def test_openapi_document_and_reference_page(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= {"/api/v1/deployments", "/api/v1/deployments/{deployment_id}"}
    errors = document["paths"]["/api/v1/deployments"]["get"]["responses"]["422"]["content"]
    assert list(errors) == ["application/problem+json"]
    page = BeautifulSoup(client.get("/api/docs").text, "html.parser")
    assert page.select_one("h1").get_text() == "API and data downloads"
    headings = [h.get_text() for h in page.select(".api-operation h3")]
    assert "GET /api/v1/deployments" in headings
    assert page.select_one("#schema-DeploymentPublic") is not None
    assert page.select_one('a[href="/api/v1/openapi.json"]') is not None
    assert all(script.get("src", "").startswith("/static/") for script in page.select("script"))


def test_reference_page_fragment(client: TestClient) -> None:
    response = client.get("/api/docs", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and "GET /api/v1/deployments" in response.text
