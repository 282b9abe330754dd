"""Exports of a search: CSV (header, formula cells, BOM, multi-values, the same text as the rules
make from the records), JSON and GeoJSON metadata, filters and order honoured, streaming past
one batch, links from the search page."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment, make_organisation, make_source, make_vendor
from fastapi.testclient import TestClient
from sqlalchemy import insert, text
from sqlmodel import Session, SQLModel

from app.models import Deployment
from app.search_index import country_name
from app.services.archive import record_url_for
from app.services.cell_values import join_values, split_values
from app.services.export_formats import (
    COLUMNS,
    HEADER,
    RecordUrl,
    csv_chunks,
    csv_line,
    csv_record,
    neutralise,
    restore_cell,
)
from app.services.exports import ExportRecord, iter_matching, iter_records, public_statement
from app.services.flat_rows import FLAT_FIELDS, iter_flat, iter_matching_flat
from app.services.search import SearchParams, parse_params


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
    # csv_record spells the columns out for speed; this holds it to COLUMNS, field by field.
    values = {name: f"value of {name}" for name in FLAT_FIELDS} | {"id": 7, "country": "RS"}
    line = csv_record(tuple(values[name] for name in FLAT_FIELDS), lambda i, s: f"url {i} {s}")
    row = dict(zip(HEADER, next(csv.reader(io.StringIO(line, newline=""))), strict=True))
    for name in FLAT_FIELDS:
        assert row[name] == str(values[name]), name
    assert row["url"] == "url 7 value of slug"
    assert row["country_name"] == "Serbia"


# --- the CSV is what its rules make of the records -------------------------------------------


@pytest.fixture
def hostile(session: Session) -> Deployment:
    """A record whose cells and links hold what a CSV must survive: separators, backslashes,
    quotes, commas, line breaks, formula characters and non-ASCII text, several of each."""
    zeta = make_vendor(session, 'Zeta; "Q" \\ Ltd', slug="zeta")
    alpha = make_vendor(session, "=Alpha, Inc.\nLab", slug="alpha")
    zhong = make_vendor(session, "Žhong 监控", slug="zhong")
    police = make_organisation(session, "-Police; Dept \\", slug="police", kind="police")
    ministry = make_organisation(
        session, '@Ministère "Intérieur"', slug="ministere", kind="interior_ministry"
    )
    third = make_source(session, "Третий источник", url="https://news.example/\\c")
    first = make_source(session, '+Source; one \\ with "quotes"', url="https://x.example/a;b")
    formula = make_source(session, "=cmd|' /C calc'!A0", url="=http://x.example")
    offline = make_source(session, "Second\r\nline")
    return make_deployment(
        session,
        '=Hostile; "record"\nwith lines',
        slug="hostile",
        country="RS",
        summary="@line1\r\nline2; \\ end, with a comma",
        region="Ärea",
        city="\tTabbed",
        site="'+quoted",
        latitude=-0.5,
        longitude=1e-7,
        camera_count=0,
        contract_value=Decimal("-5.00"),
        currency="EUR",
        scale_note="-",
        funder="=",
        announced_on="2017",
        started_on="2018-03",
        last_verified_on=date(2024, 2, 29),
        is_demo=True,
        external_ref="aos:;x",
        vendors=[(zeta, "prime"), (alpha, "integrator"), (zhong, "supplier"), (zeta, "financier")],
        operators=[police, ministry],
        capabilities=["face_recognition", "cctv", "alpr"],
        sources=[third, first, formula, offline],
        created_at=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
        updated_at=datetime(2021, 6, 7, 8, 9, 10, 123456, tzinfo=UTC),
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):  # datetimes too: the records' are in UTC, with the zone
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def expected_csv(records: list[ExportRecord], record_url: RecordUrl) -> bytes:
    """The CSV as the documented rules make it from the records (ExportRecord, as the JSON
    export reads them), written by the csv module: an oracle independent of the flat rows."""
    numeric = {column.name for column in COLUMNS if column.numeric}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for record in records:
        f = record.fields
        values = {
            **f,
            "url": record_url(record.id, f["slug"]),
            "country_name": country_name(f["country"]),
            "vendors": join_values([f"{v.name} ({v.role})" for v in record.vendors]),
            "operators": join_values([o.name for o in record.operators]),
            "capabilities": join_values(record.capabilities),
            "sources": join_values([s.title for s in record.sources]),
            "source_urls": join_values([s.url or "" for s in record.sources]),
        }
        writer.writerow(
            _text(values[name]) if name in numeric else neutralise(_text(values[name]))
            for name in HEADER
        )
    return buffer.getvalue().encode("utf-8")


def test_csv_of_hostile_links_splits_back_exactly(
    client: TestClient, hostile: Deployment
) -> None:
    row = next(r for r in rows(client.get("/deployments.csv")) if r["slug"] == "hostile")
    # Vendors by name then role, operators by name, capabilities in the vocabulary's order,
    # sources in the record's order.
    assert split_values(restore_cell(row["vendors"])) == [
        "=Alpha, Inc.\nLab (integrator)",
        'Zeta; "Q" \\ Ltd (financier)',
        'Zeta; "Q" \\ Ltd (prime)',
        "Žhong 监控 (supplier)",
    ]
    assert row["vendors"].startswith("'=Alpha, Inc.\nLab (integrator); Zeta\\; \"Q\" \\\\ Ltd")
    assert split_values(restore_cell(row["operators"])) == [
        "-Police; Dept \\",
        '@Ministère "Intérieur"',
    ]
    assert split_values(row["capabilities"]) == ["cctv", "face_recognition", "alpr"]
    assert split_values(row["sources"]) == [
        "Третий источник",
        '+Source; one \\ with "quotes"',
        "=cmd|' /C calc'!A0",
        "Second\r\nline",
    ]
    assert split_values(row["source_urls"]) == [
        "https://news.example/\\c",
        "https://x.example/a;b",
        "=http://x.example",
        "",
    ]
    assert (row["title"], row["city"], row["funder"]) == (
        '\'=Hostile; "record"\nwith lines',
        "'\tTabbed",
        "'=",
    )
    assert (row["camera_count"], row["contract_value"], row["latitude"]) == ("0", "-5.00", "-0.5")
    assert (row["last_verified_on"], row["is_demo"]) == ("2024-02-29", "true")
    assert (row["created_at"], row["updated_at"]) == (
        "2020-01-02T03:04:05+00:00",
        "2021-06-07T08:09:10.123456+00:00",
    )


def test_csv_is_what_the_rules_make_of_the_records(
    client: TestClient, session: Session, records: dict[str, Deployment], hostile: Deployment
) -> None:
    for query in ("", "sort=title", "q=cameras", "country=RS&sort=updated"):
        params, errors = parse_params(parse_qsl(query))
        assert not errors
        found = [r for batch in iter_matching(session=session, params=params) for r in batch]
        expected = expected_csv(found, record_url_for("http://testserver"))
        assert client.get(f"/deployments.csv?{query}").content == expected, query
    # Archived records too, as the data archive writes them.
    session.execute(
        text("UPDATE deployment SET state = 'archived', archived_reason = '=gone, \"dup\"' "
             "WHERE slug = 'formula'")
    )
    session.commit()
    url = record_url_for("https://w.example")
    everything = [r for b in iter_records(session=session, stmt=public_statement()) for r in b]
    flat = iter_flat(session=session, stmt=public_statement(), batch=2)
    assert b"".join(csv_chunks(flat, url)) == expected_csv(everything, url)


def test_csv_timestamps_as_the_json_export_gives_them(
    client: TestClient, session: Session, records: dict[str, Deployment]
) -> None:
    # Stored without a fraction, with a zero fraction, and as the ORM stores them.
    session.execute(
        text("UPDATE deployment SET created_at = '2020-01-02 03:04:05', "
             "updated_at = '2020-01-02 03:04:05.000000' WHERE slug = 'formula'")
    )
    session.commit()
    exported = rows(client.get("/deployments.csv"))
    as_json = client.get("/deployments.json").json()["deployments"]
    assert [(r["slug"], r["created_at"], r["updated_at"]) for r in exported] == [
        (r["slug"], r["created_at"], r["updated_at"]) for r in as_json
    ]
    formula = next(r for r in exported if r["slug"] == "formula")
    assert (formula["created_at"], formula["updated_at"]) == (
        "2020-01-02T03:04:05+00:00",
        "2020-01-02T03:04:05+00:00",
    )


def test_flat_rows_stream_in_batches(session: Session) -> None:
    _bulk(session, 450)
    batches = list(iter_matching_flat(session=session, params=SearchParams(), batch=200))
    assert [len(b) for b in batches] == [200, 200, 50]
    assert all(len(row) == len(FLAT_FIELDS) for batch in batches for row in batch)
