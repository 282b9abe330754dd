"""/stats: SVG charts drawn on the server, each with the same numbers in a table beside it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from factories import make_deployment, make_vendor
from fastapi.testclient import TestClient
from sqlmodel import Session


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
def catalog(session: Session) -> None:
    huawei = make_vendor(session, "Huawei", slug="huawei")
    make_deployment(
        session,
        "Belgrade Safe City",
        country="RS",
        started_on="2019",
        vendors=[(huawei, "prime")],
        capabilities=["cctv", "tripwire"],
        oversight_status="challenged",
    )
    make_deployment(
        session,
        "Novi Sad <script>cameras</script>",
        country="RS",
        started_on="2020",
        vendors=[(huawei, "supplier")],
        capabilities=["alpr"],
    )
    make_deployment(session, "Yerevan plate readers", country="AM", capabilities=["alpr"])


def table_rows(section: Tag) -> list[tuple[str, str]]:
    rows = section.select("table.chart-data tbody tr")
    return [(r.th.get_text(strip=True), r.td.get_text(strip=True)) for r in rows]  # type: ignore[union-attr]


def svg_rows(section: Tag) -> list[tuple[str, str]]:
    return [
        (
            g.select_one("text.bar-label title").get_text(strip=True).removeprefix("– "),  # type: ignore[union-attr]
            g.select_one("text.bar-value").get_text(strip=True),  # type: ignore[union-attr]
        )
        for g in section.select("svg g.bar-row")
    ]


def test_every_chart_is_an_svg_with_its_table(client: TestClient, catalog: None) -> None:
    response = client.get("/stats")

    assert response.status_code == 200
    page = soup(response.text)
    assert page.select_one("h1").get_text(strip=True) == "Statistics"  # type: ignore[union-attr]
    sections = page.select("section.stat")
    assert [s["id"] for s in sections] == [
        "chart-country",
        "chart-vendor",
        "chart-capability",
        "chart-oversight",
        "chart-year",
    ]
    for section in sections:
        svg = section.select_one("svg.bar-chart")
        assert svg is not None and svg["role"] == "img"
        title_id, desc_id = str(svg["aria-labelledby"]).split()
        assert svg.select_one(f"title#{title_id}").get_text(strip=True)  # type: ignore[union-attr]
        assert svg.select_one(f"desc#{desc_id}").get_text(strip=True)  # type: ignore[union-attr]
        assert section.select_one("table.chart-data caption") is not None
        # The table holds exactly the chart's numbers, in the chart's order.
        assert table_rows(section) == svg_rows(section)
        assert table_rows(section)
        # No inline style anywhere (the CSP forbids it), and bar widths follow the counts.
        assert not section.select("[style]")
        widths = [int(str(r["width"])) for r in section.select("rect.bar")]
        values = [int(v.replace(",", "")) for _, v in table_rows(section)]
        assert widths.index(max(widths)) == values.index(max(values))
    country = page.select_one("#chart-country")
    assert table_rows(country) == [("Serbia", "2"), ("Armenia", "1")]  # type: ignore[arg-type]
    capability = table_rows(page.select_one("#chart-capability"))  # type: ignore[arg-type]
    assert capability == [
        ("CCTV cameras", "1"),
        ("Video analytics", "1"),
        ("Tripwire detection", "1"),
        ("Licence-plate recognition", "2"),
    ]
    year = page.select_one("#chart-year")
    assert table_rows(year) == [("2019", "1"), ("2020", "1"), ("Year not known", "1")]  # type: ignore[arg-type]
    assert not page.select("script:not([src])")


def test_the_search_filters_are_honoured_and_shown(client: TestClient, catalog: None) -> None:
    response = client.get("/stats", params=[("country", "RS"), ("capability", "alpr")])

    assert response.status_code == 200
    page = soup(response.text)
    assert "1 published record" in page.select_one(".result-status").get_text()  # type: ignore[union-attr]
    assert table_rows(page.select_one("#chart-country")) == [("Serbia", "1")]  # type: ignore[arg-type]
    chips = [a.get_text(" ", strip=True) for a in page.select(".active-filters-list a")]
    assert any("Country: Serbia" in chip for chip in chips)
    assert any("Capability:" in chip for chip in chips)
    # Removing a filter stays on /stats and keeps the other one.
    serbia_chip = next(a for a in page.select(".active-filters-list a") if "Serbia" in a.text)
    link = urlsplit(str(serbia_chip["href"]))
    assert link.path == "/stats" and parse_qsl(link.query) == [("capability", "alpr")]
    back = page.select_one(".search-views a")
    assert back is not None and "Back to the search" in back.text
    assert parse_qsl(urlsplit(str(back["href"])).query) == [
        ("country", "RS"),
        ("capability", "alpr"),
    ]
    # A value's row links to the search narrowed to it, with the other filters kept.
    vendor_link = page.select_one("#chart-vendor table a")
    assert vendor_link is not None
    assert sorted(parse_qsl(urlsplit(str(vendor_link["href"])).query)) == [
        ("capability", "alpr"),
        ("country", "RS"),
        ("vendor", "huawei"),
    ]


def test_text_is_escaped(client: TestClient, catalog: None) -> None:
    response = client.get("/stats", params={"q": "<script>alert(1)</script>"})

    assert "<script>alert(1)</script>" not in response.text
    assert not soup(response.text).select("script:not([src])")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ([("country", "XX")], "country"),
        ([("vendor", "nobody")], "vendor"),
    ],
)
def test_an_unknown_filter_is_a_422_with_the_message(
    client: TestClient, catalog: None, query: list[tuple[str, str]], field: str
) -> None:
    response = client.get("/stats", params=query)

    assert response.status_code == 422
    summary = soup(response.text).select_one(".error-summary")
    assert summary is not None
    assert f"Unknown {field}" in summary.get_text() and query[0][1] in summary.get_text()
    # The rest of the search still gets its statistics.
    assert soup(response.text).select("section.stat")


def test_a_page_number_is_ignored(client: TestClient, catalog: None) -> None:
    assert client.get("/stats", params={"page": "nonsense"}).status_code == 200


def test_no_records_says_so(client: TestClient, catalog: None) -> None:
    response = client.get("/stats", params={"q": "zzzzqqq"})

    assert response.status_code == 200
    page = soup(response.text)
    assert not page.select("svg")
    assert "No records match" in page.select_one("p.empty").get_text()  # type: ignore[union-attr]


def test_htmx_request_gets_the_main_content_only(client: TestClient, catalog: None) -> None:
    response = client.get("/stats", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert soup(response.text).select("section.stat svg")
    assert "HX-Request" in response.headers["Vary"]


def test_search_page_and_navigation_link_here_with_the_query(
    client: TestClient, catalog: None
) -> None:
    page = soup(client.get("/deployments", params={"country": "RS"}).text)

    links = {urlsplit(str(a["href"])).path: a for a in page.select(".search-views-links a")}
    assert parse_qsl(urlsplit(str(links["/stats"]["href"])).query) == [("country", "RS")]
    assert parse_qsl(urlsplit(str(links["/map"]["href"])).query) == [("country", "RS")]
    nav = [a["href"] for a in page.select(".site-header nav a")]
    assert "/stats" in nav and "/map" in nav
