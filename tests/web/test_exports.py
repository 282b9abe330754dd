"""Exports of a search: CSV (header, formula cells, BOM, multi-values), JSON and GeoJSON metadata,
filters and order honoured, streaming past one batch, links from the search page."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment, make_organisation, make_source, make_vendor
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session, SQLModel

from app.models import Deployment
from app.services.cell_values import split_values
from app.services.export_formats import HEADER, csv_line, csv_row, restore_cell
from app.services.exports import FIELD_NAMES, ExportRecord, iter_matching
from app.services.search import SearchParams


def rows(response: object) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def records(session: Session) -> dict[str, Deployment]:
    huawei = make_vendor(session, "Huawei", country="CN")
    odd = make_vendor(session, "Semi; Colon \\ Ltd", slug="semi-colon")
    police = make_organisation(session, "City Police", kind="police")
    article = make_source(session, "Cameras; a report", url="https://news.example/a")
    offline = make_source(session, "Leaflet")
    belgrade = make_deployment(
        session,
        "Belgrade Safe City",
        country="RS",
        city="Belgrade",
        latitude=44.8125,
        longitude=20.4612,
        geo_precision="city",
        contract_value="12500000.50",
        currency="EUR",
        vendors=[(huawei, "prime"), (odd, "integrator")],
        operators=[police],
        capabilities=["cctv", "face_recognition"],
        sources=[article, offline],
    )
    formula = make_deployment(
        session,
        '=HYPERLINK("https://evil.example","click")',
        slug="formula",
        country="RS",
        summary="@SUM(1+1)",
        city="-Minus",
        site="'=already quoted",
        longitude=-3.7,
        latitude=40.4,
    )
    hungary = make_deployment(session, "Budapest cameras", country="HU")
    return {"belgrade": belgrade, "formula": formula, "hungary": hungary}


def test_csv_header_cells_and_headers(client: TestClient, records: dict[str, Deployment]) -> None:
    response = client.get("/deployments.csv?sort=title")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    today = datetime.now(UTC).date().isoformat()
    assert response.headers["content-disposition"] == (
        f'attachment; filename="safecity-deployments-{today}.csv"'
    )
    assert response.headers["x-safecity-query"] == "sort=title"
    assert response.headers["link"] == (
        '<http://testserver/deployments?sort=title>; rel="alternate"; type="text/html"'
    )
    assert response.headers["access-control-allow-origin"] == "*"
    assert not response.content.startswith(b"\xef\xbb\xbf")
    assert response.content.decode().splitlines()[0] == ",".join(HEADER)
    data = rows(response)
    # By title as the search sorts it: folded words, so the formula sorts as "hyperlink".
    assert [r["slug"] for r in data] == ["belgrade-safe-city", "budapest-cameras", "formula"]
    belgrade = data[0]
    assert (
        belgrade["url"]
        == f"http://testserver/deployments/{records['belgrade'].id}-belgrade-safe-city"
    )
    assert belgrade["country_name"] == "Serbia"
    assert belgrade["contract_value"] == "12500000.50"
    assert belgrade["is_demo"] == "false"
    assert belgrade["updated_at"].endswith("+00:00")


def test_csv_neutralises_formulas_but_not_numbers(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    formula = next(r for r in rows(client.get("/deployments.csv")) if r["slug"] == "formula")
    assert formula["title"].startswith("'=")
    assert formula["summary"] == "'@SUM(1+1)"
    assert formula["city"] == "'-Minus"
    assert formula["site"] == "''=already quoted"  # so that removing one quote is lossless
    assert formula["longitude"] == "-3.7"  # a number, never prefixed
    assert restore_cell(formula["site"]) == "'=already quoted"
    assert restore_cell(formula["city"]) == "-Minus"
    assert restore_cell("'plain") == "'plain"


def test_csv_multi_values_split_back_exactly(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    belgrade = next(r for r in rows(client.get("/deployments.csv")) if r["city"] == "Belgrade")
    assert split_values(belgrade["vendors"]) == [
        "Huawei (prime)",
        "Semi; Colon \\ Ltd (integrator)",
    ]
    assert belgrade["vendors"] == "Huawei (prime); Semi\\; Colon \\\\ Ltd (integrator)"
    assert split_values(belgrade["capabilities"]) == ["cctv", "face_recognition"]
    assert split_values(belgrade["operators"]) == ["City Police"]
    assert split_values(belgrade["sources"]) == ["Cameras; a report", "Leaflet"]
    assert split_values(belgrade["source_urls"]) == ["https://news.example/a", ""]


def test_csv_bom_for_excel(client: TestClient, records: dict[str, Deployment]) -> None:
    response = client.get("/deployments.csv?bom=1&country=HU")
    assert response.content.startswith(b"\xef\xbb\xbfid,slug,url,")
    assert response.headers["x-safecity-query"] == "country=HU"


def test_exports_honour_filters_and_order_of_the_search(
    client: TestClient, session: Session, records: dict[str, Deployment]
) -> None:
    for query in ("country=RS", "q=cameras", "sort=title", "country=RS&sort=updated", ""):
        page = client.get(f"/api/v1/deployments?{query}&per_page=100").json()
        exported = [int(r["id"]) for r in rows(client.get(f"/deployments.csv?{query}"))]
        assert exported == [item["id"] for item in page["items"]], query
    # The search page's page number does not limit an export.
    assert len(rows(client.get("/deployments.csv?page=2"))) == 3


def test_bad_search_is_a_problem_not_a_file(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    for path in (
        "/deployments.csv?country=XX",
        "/deployments.json?vendor=nobody",
        "/deployments.geojson?year_from=abc",
        "/deployments.atom?status=x",
    ):
        response = client.get(path)
        assert response.status_code == 422, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"]


def test_json_export_with_metadata(client: TestClient, records: dict[str, Deployment]) -> None:
    response = client.get("/deployments.json?country=RS&sort=title")
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["query"] == {"country": ["RS"], "sort": "title"}
    assert body["search_url"] == "http://testserver/deployments?country=RS&sort=title"
    assert body["licence"] == "CC BY 4.0"
    assert datetime.fromisoformat(body["generated_at"]).tzinfo is not None
    assert body["count"] == 2 == len(body["deployments"])
    belgrade = body["deployments"][0]
    assert belgrade["vendors"][1] == {
        "name": "Semi; Colon \\ Ltd",
        "slug": "semi-colon",
        "country": None,
        "role": "integrator",
    }
    assert belgrade["sources"][0]["url"] == "https://news.example/a"
    assert belgrade["contract_value"] == "12500000.50"
    assert belgrade["oversight_events"] == []
    empty = client.get("/deployments.json?q=nothingmatchesthis").json()
    assert (empty["count"], empty["deployments"]) == (0, [])


def test_geojson_leaves_out_and_counts_records_without_coordinates(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    response = client.get("/deployments.geojson?sort=title")
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["slug"] for f in body["features"]] == ["belgrade-safe-city", "formula"]
    assert body["features"][1]["geometry"] == {"type": "Point", "coordinates": [-3.7, 40.4]}
    assert body["metadata"]["count"] == 2
    assert body["metadata"]["without_coordinates"] == 1
    assert body["metadata"]["query"] == {"sort": "title"}


def _bulk(session: Session, count: int) -> None:
    table = SQLModel.metadata.tables["deployment"]
    now = datetime.now(UTC)
    session.execute(
        insert(table),
        [
            {
                "slug": f"bulk-{i}",
                "title": f"Bulk {i:05d}",
                "summary": "",
                "country": "FR",
                "title_sort": f"bulk {i:05d}",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ],
    )
    session.commit()


def test_streaming_many_rows_in_batches(client: TestClient, session: Session) -> None:
    _bulk(session, 2300)
    batches = list(iter_matching(session=session, params=SearchParams(sort="title"), batch=1000))
    assert [len(b) for b in batches] == [1000, 1000, 300]
    exported = rows(client.get("/deployments.csv?sort=title"))
    assert len(exported) == 2300
    assert [r["title"] for r in exported] == sorted(r["title"] for r in exported)
    assert client.get("/deployments.json").json()["count"] == 2300
    geo = client.get("/deployments.geojson").json()
    assert (geo["metadata"]["count"], geo["metadata"]["without_coordinates"]) == (0, 2300)


def test_search_page_links_its_exports_and_feed(
    client: TestClient, records: dict[str, Deployment]
) -> None:
    page = BeautifulSoup(
        client.get("/deployments?country=RS&page=1&sort=title").text, "html.parser"
    )
    links = {a.get_text(strip=True): a["href"] for a in page.select(".export-links a")}
    assert links["CSV"] == "/deployments.csv?country=RS&sort=title"
    assert links["JSON"] == "/deployments.json?country=RS&sort=title"
    assert links["GeoJSON"] == "/deployments.geojson?country=RS&sort=title"
    assert links["Atom feed"] == "/deployments.atom?country=RS"
    feed = page.select_one('head link[rel="alternate"][type="application/atom+xml"]')
    assert feed["href"] == "/deployments.atom?country=RS"
    # The results fragment carries the links too, so they follow an htmx search.
    fragment = client.get(
        "/deployments?country=HU",
        headers={"HX-Request": "true", "HX-Target": "search-results"},
    )
    assert "/deployments.csv?country=HU" in fragment.text


def test_export_of_nothing_is_a_header_only_csv(client: TestClient) -> None:
    response = client.get("/deployments.csv")
    assert response.status_code == 200
    assert response.content.decode().splitlines() == [",".join(HEADER)]
    assert json.loads(client.get("/deployments.geojson").text)["features"] == []


def test_csv_lines_are_what_the_csv_module_writes() -> None:
    cells = ["", "plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\n", '"', ",", " x "]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    assert csv_line(cells) == buffer.getvalue()
    assert next(csv.reader(io.StringIO(csv_line(cells), newline=""))) == cells


def test_each_csv_column_holds_its_own_field() -> None:
    # csv_row spells the columns out for speed; this holds it to COLUMNS, field by field.
    fields = {name: f"value of {name}" for name in FIELD_NAMES} | {"id": 7, "country": "RS"}
    record = ExportRecord(fields=fields)
    row = dict(zip(HEADER, csv_row(record, lambda i, slug: f"url {i} {slug}"), strict=True))
    for name in FIELD_NAMES:
        assert row[name] == str(fields[name]), name
    assert row["url"] == "url 7 value of slug"
    assert row["country_name"] == "Serbia"
