"""/vendors, /vendors/{slug}, /countries/{code}, /capabilities/{key}: entity, then its records."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment, make_vendor
from fastapi.testclient import TestClient
from sqlmodel import Session

HX = {"HX-Request": "true"}


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
def catalog(session: Session) -> None:
    cetc = make_vendor(session, "CETC", country="CN", ownership="state_owned")
    hik = make_vendor(
        session,
        "Hikvision",
        country="CN",
        parent_id=cetc.id,
        website="https://hikvision.example",
        description="Camera maker.",
    )
    huawei = make_vendor(session, "Huawei", country="CN")
    make_vendor(session, "Idle Corp")
    make_deployment(
        session,
        "Belgrade Safe City",
        country="RS",
        vendors=[(huawei, "prime")],
        capabilities=["tripwire"],
    )
    make_deployment(
        session, "Yerevan cameras", country="AM", vendors=[(hik, "supplier")], capabilities=["cctv"]
    )
    make_deployment(
        session,
        "Novi Sad",
        country="RS",
        vendors=[(huawei, "supplier")],
        capabilities=["loitering"],
    )
    make_deployment(
        session, "Withdrawn", country="RS", vendors=[(huawei, "prime")], state="archived"
    )


def titles(page: BeautifulSoup) -> list[str]:
    return sorted(a.get_text(strip=True) for a in page.select(".cards .card-title a"))


def search_link(page: BeautifulSoup) -> dict[str, str]:
    link = page.select_one(".entity-deployments .more a")
    assert link is not None
    parts = urlsplit(link["href"])
    assert parts.path == "/deployments"
    return dict(parse_qsl(parts.query))


def test_vendor_list_with_counts(client: TestClient, catalog: None) -> None:
    response = client.get("/vendors")

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    rows = soup(response.text).select("table.vendor-table tbody tr")
    counts = {r.th.get_text(strip=True): r.select_one("td.num").get_text(strip=True) for r in rows}
    assert counts == {"CETC": "0", "Hikvision": "1", "Huawei": "2", "Idle Corp": "0"}
    assert rows[2].th.a["href"] == "/vendors/huawei"


def test_vendor_list_fragment(client: TestClient, catalog: None) -> None:
    response = client.get("/vendors", headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert soup(response.text).select_one("table.vendor-table") is not None


def test_vendor_page(client: TestClient, catalog: None) -> None:
    response = client.get("/vendors/hikvision")

    assert response.status_code == 200
    page = soup(response.text)
    assert page.select_one("h1").get_text() == "Hikvision"
    assert page.select_one('a[href="/vendors/cetc"]') is not None
    assert page.select_one('a[href="https://hikvision.example"]') is not None
    assert titles(page) == ["Yerevan cameras"]
    assert search_link(page) == {"vendor": "hikvision"}

    parent = soup(client.get("/vendors/cetc").text)
    assert parent.select_one('a[href="/vendors/hikvision"]') is not None
    assert "No published record yet" in parent.select_one(".entity-deployments").get_text()


def test_vendor_page_lists_through_the_search_service(client: TestClient, catalog: None) -> None:
    page = soup(client.get("/vendors/huawei").text)
    # Published records only, as in search: the archived one is not listed.
    assert titles(page) == ["Belgrade Safe City", "Novi Sad"]
    assert "2 records" in page.select_one(".entity-deployments .result-status").get_text()


def test_vendor_fragment(client: TestClient, catalog: None) -> None:
    response = client.get("/vendors/huawei", headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in response.text
    assert titles(soup(response.text)) == ["Belgrade Safe City", "Novi Sad"]


def test_unknown_vendor_is_a_404_page(client: TestClient, catalog: None) -> None:
    response = client.get("/vendors/nobody")
    assert response.status_code == 404
    assert soup(response.text).select_one("main h1") is not None


def test_country_page(client: TestClient, catalog: None) -> None:
    response = client.get("/countries/RS")

    assert response.status_code == 200
    page = soup(response.text)
    assert page.select_one("h1").get_text() == "Serbia"
    assert titles(page) == ["Belgrade Safe City", "Novi Sad"]
    assert search_link(page) == {"country": "RS"}


def test_country_code_is_case_insensitive(client: TestClient, catalog: None) -> None:
    response = client.get("/countries/rs", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/countries/RS"
    assert client.get("/countries/rs").status_code == 200


def test_country_without_records(client: TestClient, catalog: None) -> None:
    response = client.get("/countries/FR")
    assert response.status_code == 200
    assert "No published record yet" in soup(response.text).get_text()


@pytest.mark.parametrize("code", ["ZZ", "SRB", "x", "12"])
def test_unknown_country_is_a_404_page(client: TestClient, code: str) -> None:
    response = client.get(f"/countries/{code}")
    assert response.status_code == 404
    assert "<html" in response.text


def test_country_fragment(client: TestClient, catalog: None) -> None:
    response = client.get("/countries/AM", headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert titles(soup(response.text)) == ["Yerevan cameras"]


def test_capability_page_includes_children(client: TestClient, catalog: None) -> None:
    response = client.get("/capabilities/video_analytics")

    assert response.status_code == 200
    page = soup(response.text)
    assert page.select_one("h1").get_text() == "Video analytics"
    assert page.select_one('a[href="/capabilities/tripwire"]') is not None
    assert titles(page) == ["Belgrade Safe City", "Novi Sad"]
    assert search_link(page) == {"capability": "video_analytics"}


def test_child_capability_links_to_its_parent(client: TestClient, catalog: None) -> None:
    page = soup(client.get("/capabilities/tripwire").text)
    assert page.select_one('main a[href="/capabilities/video_analytics"]') is not None
    assert titles(page) == ["Belgrade Safe City"]


def test_capability_fragment_and_404(client: TestClient, catalog: None) -> None:
    response = client.get("/capabilities/cctv", headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert titles(soup(response.text)) == ["Yerevan cameras"]
    assert client.get("/capabilities/teleportation").status_code == 404


def test_a_nul_byte_in_an_address_is_404_not_a_server_error(client: TestClient) -> None:
    # PostgreSQL refuses NUL in a text parameter; these lookups must not send it one.
    for path in ("/vendors/a%00b", "/capabilities/cctv%00", "/evidence/a%00.jpg"):
        assert client.get(path).status_code == 404, path
