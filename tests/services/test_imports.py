"""Imports of our own CSV and of the Atlas of Surveillance CSV: plans, refusals, revisions.

Every test compares what is in the database, table by table, so "the dry run writes nothing"
and "a second import changes nothing" are checked on the stored rows themselves.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from factories import (
    make_deployment,
    make_organisation,
    make_oversight_event,
    make_source,
    make_vendor,
)
from import_data import CRAFTED_ATLAS, atlas_file, atlas_row, to_csv
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from app import search_index
from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentSource,
    DeploymentVendor,
    Organisation,
    Revision,
    Source,
    Vendor,
)
from app.services import export_formats, exports, flat_rows, import_files
from app.services.archive import record_url_for
from app.services.atlas import ATLAS_COLUMNS
from app.services.cell_values import join_values
from app.services.export_formats import HEADER
from app.services.import_files import ImportFileError, read_import
from app.services.imports import ImportPlan, apply_import, plan_import

search_index.install()


# --- helpers --------------------------------------------------------------------------------


def database(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    session.expire_all()
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for table in SQLModel.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        tables[table.name] = [tuple(r) for r in session.execute(sa_select(table).order_by(*order))]
    return tables


def export_csv(session: Session) -> bytes:
    """The whole public dataset as the export service writes deployments.csv."""
    batches = flat_rows.iter_flat(session=session, stmt=exports.public_statement())
    return b"".join(export_formats.csv_chunks(batches, record_url_for("https://w.example")))


def plan(session: Session, data: bytes, name: str = "file.csv") -> ImportPlan:
    return plan_import(session=session, file=read_import(data), filename=name)


def outcomes(found: ImportPlan) -> dict[int, tuple[str, str]]:
    return {row.row: (row.action, row.reason or ", ".join(row.changes)) for row in found.rows}


def revision_count(session: Session) -> int:
    return len(session.exec(select(Revision)).all())


def tricky_records(session: Session) -> list[Deployment]:
    """Records whose values test every rule of the CSV: formulas, separators, quotes, several
    sources with one title and no address, an archived record, an external key."""
    acme = make_vendor(session, "Acme; Sons \\ Co")
    hik = make_vendor(session, "Hikvision (China)", slug="hikvision")
    police = make_organisation(session, "=Police Directorate", kind="police")
    article = make_source(session, "One article; twice", url="https://news.example/a?x=1;y=2")
    first = make_source(session, "Same headline")
    second = make_source(session, "Same headline")
    formula = make_deployment(
        session, "=HYPERLINK(\"http://evil.example\")",
        summary='Two\n\nparagraphs, "quoted"; and; semicolons\n- a list\n',
        city="-Novi Sad", region="+Vojvodina", site="@gate", latitude=-45.25, longitude=19.5,
        geo_precision="exact", programme="Safe City", status="operational",
        announced_on="2019", started_on="2019-03", ended_on="2020-01-31", camera_count=1200,
        site_count=0, scale_note="1,000+ cameras", financing="loan", funder="Exim; Bank",
        contract_value=Decimal("1500000.50"), currency="EUR", oversight_status="challenged",
        verification="corroborated", external_ref="aos:AOS999",
        vendors=[(acme, "prime"), (hik, "supplier"), (hik, "integrator")],
        operators=[police], capabilities=["cctv", "face_recognition", "tripwire"],
        sources=[(article, "claim"), first, second],
    )
    make_oversight_event(session, formula, sources=[first], kind="court_case",
                         description="Case filed")
    archived = make_deployment(session, "Withdrawn record", state="archived",
                               archived_reason="Duplicate of another", sources=[second])
    plain = make_deployment(session, "Plain record", country="PL", sources=[article])
    return [formula, archived, plain]


# --- the native layout: round trip ------------------------------------------------------------


def test_export_then_import_changes_nothing(session: Session) -> None:
    tricky_records(session)
    data = export_csv(session)
    before = database(session)

    dry = plan(session, data, "deployments.csv")
    assert [row.action for row in dry.rows] == ["unchanged"] * 3, outcomes(dry)
    report = apply_import(session=session, plan=dry, actor="import deployments.csv")

    assert [row.action for row in report.rows] == ["unchanged"] * 3
    assert database(session) == before  # no revision, no updated_at, nothing


def test_rows_without_ids_are_found_by_title_and_country_or_added(session: Session) -> None:
    """Ids cleared, as for another site's export: a row finds the record with its title's
    slug in its country; a row that finds none becomes a new record with the row's values,
    and importing the same file again finds it."""
    tricky_records(session)
    rows = list(csv.DictReader(io.StringIO(export_csv(session).decode())))
    cleared = [{**row, "id": "", "slug": "", "external_ref": ""} for row in rows]
    found = plan(session, to_csv(HEADER, cleared))
    assert [row.action for row in found.rows] == ["unchanged"] * 3, outcomes(found)

    renamed = [{**row, "title": row["title"] + " (copy)"} for row in cleared]
    data = to_csv(HEADER, renamed)
    report = apply_import(session=session, plan=plan(session, data), actor="import copy.csv")
    assert [row.action for row in report.rows] == ["new"] * 3
    for row, original in zip(report.rows, rows, strict=True):
        copy = session.get(Deployment, row.deployment_id)
        assert copy is not None
        assert copy.title == export_formats.restore_cell(original["title"]) + " (copy)"
        assert copy.summary == export_formats.restore_cell(original["summary"])
        assert (copy.state, copy.city) == (original["state"],
                                           export_formats.restore_cell(original["city"]) or None)

    again = plan(session, data)
    assert [row.action for row in again.rows] == ["unchanged"] * 3, outcomes(again)


# --- the native layout: a crafted file --------------------------------------------------------


def crafted_native(target: Deployment) -> bytes:
    header = ["id", "title", "summary", "country", "status", "oversight_status",
              "announced_on", "camera_count", "vendors", "operators", "capabilities", "sources",
              "source_urls"]
    base = {"country": "RS", "sources": "A report", "source_urls": "https://r.example/1"}
    rows = [
        {   # 2: updates the record: a neutralised formula, escaped separators, several values
            "id": str(target.id), "title": "'=SUM(A1)", "summary": target.summary,
            "country": "RS", "status": "pilot", "vendors": "Acme\\; Sons (prime); Newco",
            "operators": "City of Belgrade", "capabilities": "alpr; cctv; alpr",
            "sources": "A report; Second", "source_urls": "https://r.example/1; ",
        },
        {**base, "title": "Fresh record", "capabilities": "cctv", "camera_count": "1 200",
         "vendors": "Acme\\; Sons (prime)"},                                           # 3: new
        {**base, "title": "Psychic", "capabilities": "cctv; Psychic Detection"},        # 4
        {**base, "title": "Bad status", "status": "sleeping"},                          # 5
        {**base, "title": "Bad date", "announced_on": "2019-13"},                       # 6
        {**base, "title": "Bad count", "camera_count": "many"},                         # 7
        {**base, "title": " "},                                                         # 8
        {**base, "title": "No source", "sources": "", "source_urls": ""},               # 9
        {**base, "title": "Bad country", "country": "XX"},                              # 10
        {**base, "title": "Bad role", "vendors": "Acme (reseller)"},                    # 11
        {**base, "title": "Bad oversight", "oversight_status": "fine"},                 # 12
        {**base, "id": "999999", "title": "Not here"},                                  # 13
        {**base, "id": str(target.id), "title": "Same record again"},                   # 14
    ]
    return to_csv(header, rows)


def test_crafted_native_file_plan_dry_run_and_import(session: Session) -> None:
    source = make_source(session, "A report", url="https://r.example/1")
    target = make_deployment(session, "Old title", status="operational", sources=[source])
    data = crafted_native(target)
    before = database(session)

    found = plan(session, data, "crafted.csv")
    assert outcomes(found) == {
        2: ("updated", "title, status, vendors, operators, capabilities, sources"),
        3: ("new", ""),
        4: ("refused", "unknown capability 'Psychic Detection'"),
        5: ("refused", "unknown status 'sleeping'"),
        6: ("refused", "malformed date '2019-13' in announced_on (use YYYY, YYYY-MM or "
                       "YYYY-MM-DD)"),
        7: ("refused", "non-numeric count 'many' in camera_count"),
        8: ("refused", "missing title"),
        9: ("refused", "missing source: a published record rests on at least one"),
        10: ("refused", "unknown country code 'XX'"),
        11: ("refused", "unknown vendor role 'reseller'"),
        12: ("refused", "unknown oversight value 'fine'"),
        13: ("refused", "no record #999999 in this database (to add the row as a new record, "
                        "clear its id)"),
        14: ("refused", "duplicate of row 2 (the same record)"),
    }
    notes = {row.row: row.notes for row in found.rows}
    assert notes[2] == ("will create vendor 'Acme; Sons'", "will create vendor 'Newco'",
                        "will create organisation 'City of Belgrade'")
    assert notes[3] == ()  # the vendor is already on its way in row 2
    assert database(session) == before  # planning wrote nothing

    report = apply_import(session=session, plan=found, actor="import crafted.csv")
    assert report.counts == {"new": 1, "updated": 1, "unchanged": 0, "refused": 11}
    session.expire_all()
    updated = session.get(Deployment, target.id)
    assert updated is not None
    assert (updated.title, updated.slug, updated.status) == ("=SUM(A1)", "sum-a1", "pilot")
    vendors = session.exec(
        select(Vendor.name, DeploymentVendor.role)
        .join(DeploymentVendor, col(DeploymentVendor.vendor_id) == Vendor.id)
        .where(DeploymentVendor.deployment_id == target.id)
        .order_by(col(Vendor.name))
    ).all()
    assert vendors == [("Acme; Sons", "prime"), ("Newco", "supplier")]
    capabilities = session.exec(
        select(DeploymentCapability.capability_key)
        .where(DeploymentCapability.deployment_id == target.id)
    ).all()
    assert sorted(capabilities) == ["alpr", "cctv"]
    titles = session.exec(
        select(Source.title, Source.url, Source.source_type)
        .join(DeploymentSource, col(DeploymentSource.source_id) == Source.id)
        .where(DeploymentSource.deployment_id == target.id)
        .order_by(col(DeploymentSource.position))
    ).all()
    assert titles == [("A report", "https://r.example/1", "news"), ("Second", None, "other")]
    assert session.exec(select(Organisation.kind)).all() == ["other"]

    revisions = session.exec(select(Revision).order_by(col(Revision.id))).all()
    assert [(r.entity_id, r.number, r.actor_label) for r in revisions] == [
        (target.id, 1, "import crafted.csv"),
        (report.rows[1].deployment_id, 1, "import crafted.csv"),
    ]
    assert revisions[0].summary == "Imported from crafted.csv, row 2"
    changed = {change["field"] for change in revisions[0].changes}
    assert {"title", "slug", "status", "vendors", "operators", "capabilities",
            "sources"} <= changed
    fresh = session.get(Deployment, report.rows[1].deployment_id)
    assert fresh is not None and (fresh.title, fresh.camera_count) == ("Fresh record", 1200)

    # The same file again: the new record is found by its title and country; nothing changes.
    after = database(session)
    again = apply_import(session=session, plan=plan(session, data, "crafted.csv"),
                         actor="import crafted.csv")
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 2, "refused": 11}
    assert database(session) == after


def test_columns_left_out_stay_as_they_are_and_empty_cells_clear(session: Session) -> None:
    vendor = make_vendor(session, "Keeper")
    source = make_source(session, "Kept", url="https://k.example/")
    record = make_deployment(session, "Partial", city="Niš", camera_count=5,
                             vendors=[(vendor, "prime")], sources=[source])
    data = to_csv(["id", "title", "country", "sources", "source_urls", "city"], [
        {"id": str(record.id), "title": "Partial", "country": "RS", "sources": "Kept",
         "source_urls": "https://k.example/", "city": ""},
    ])
    found = plan(session, data)
    assert outcomes(found) == {2: ("updated", "city")}
    apply_import(session=session, plan=found, actor="import partial.csv")
    session.expire_all()
    stored = session.get(Deployment, record.id)
    assert stored is not None and (stored.city, stored.camera_count) == (None, 5)
    assert session.exec(select(DeploymentVendor.role)).all() == ["prime"]


def test_a_stored_source_keeps_its_details(session: Session) -> None:
    source = make_source(session, "Real headline", url="https://s.example/1", publisher="Daily")
    record = make_deployment(session, "Record", sources=[source])
    data = to_csv(["id", "title", "country", "sources", "source_urls"], [
        {"id": str(record.id), "title": "Record", "country": "RS",
         "sources": "Another headline", "source_urls": "https://s.example/1"},
    ])
    (row,) = plan(session, data).rows
    assert row.action == "refused"
    assert row.reason.startswith(f"source 'Another headline' has the address of stored source "
                                 f"#{source.id} titled 'Real headline'")


# --- reading files ----------------------------------------------------------------------------


def test_read_import_detects_layouts_and_accepts_a_byte_order_mark() -> None:
    native = "\ufeffid,title,country,sources\r\n,A,RS,B\r\n\r\n".encode()
    parsed = read_import(native)
    assert parsed.format == "native"
    assert [(r.number, r.cells["title"]) for r in parsed.rows] == [(2, "A")]
    atlas = to_csv((*ATLAS_COLUMNS, "Extra"), [{"AOSNUMBER": "AOS1"}])
    parsed = read_import(atlas)
    assert (parsed.format, parsed.ignored_columns) == ("atlas", ("Extra",))
    # A multi-line cell is still one row: numbers are spreadsheet rows, not lines.
    text = 'id,title,country,sources\r\n,"two\nlines",RS,S\r\n,B,RS,S\r\n'
    assert [r.number for r in read_import(text).rows] == [2, 3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV file"),
        (b"id,title\r\n,caf\xe9\r\n", "not UTF-8 text"),
        (b"name,email\r\nx,y\r\n", "not a file we can import"),
        (b"id,title,country\r\n", "missing columns of our export's layout: sources"),
        (b"AOSNUMBER,City\r\n", "missing columns of the Atlas of Surveillance layout: County"),
        (b"id,title,country,sources,title\r\n", "names a column more than once: 'title'"),
        (b"id,title,country,sources,colour\r\n", "Unknown columns for our export's layout"),
        (b"id,title,country,sources\r\n1,A,RS,S,extra\r\n", "Row 2 has 5 cells"),
        (b'id,title,country,sources\r\n1,"A\r\n', "not valid CSV"),
    ],
)
def test_read_import_refuses_unusable_files(data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        read_import(data)


def test_read_import_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_files, "MAX_ROWS", 2)
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        read_import("id,title,country,sources\n1,A,RS,S\n2,B,RS,S\n3,C,RS,S\n")
    monkeypatch.setattr(import_files, "MAX_CELL_CHARS", 10)
    with pytest.raises(ImportFileError, match="Row 2, column 'title': a cell of 11 characters"):
        read_import("id,title,country,sources\n1,ABCDEFGHIJK,RS,S\n")
    with pytest.raises(ImportFileError, match="Unknown format"):
        read_import("id\n", format="excel")


# --- the Atlas of Surveillance layout ---------------------------------------------------------


def test_crafted_atlas_file(session: Session) -> None:
    before = database(session)
    found = plan(session, CRAFTED_ATLAS, "atlas.csv")
    assert outcomes(found) == {
        2: ("new", ""),
        3: ("refused", "unknown technology 'Psychic Detection' (no matching capability)"),
        4: ("refused", "malformed date 'not a date' in Link 2 Date"),
        5: ("refused", "duplicate of row 2 (the same record)"),
        6: ("refused", "technology 'Third-party Investigative Platforms': no matching "
                       "capability"),
        7: ("new", ""),
        8: ("refused", "unknown US state 'ZZ'"),
        9: ("refused", "missing source: the row has no link"),
        10: ("new", ""),
    }
    rows = {row.row: row for row in found.rows}
    assert rows[2].label == "Face Recognition — Springfield Police Department"
    assert rows[2].notes == ("will create vendor 'Clearview AI'",
                             "will create organisation 'Springfield Police Department'")
    assert "Link 1 Type 'Blog' counted as other" in rows[7].notes
    assert "Type of LEA 'Tribal Council' counted as other" in rows[10].notes
    assert database(session) == before

    report = apply_import(session=session, plan=found, actor="import atlas.csv")
    created = {row.row: row.deployment_id for row in report.rows if row.action == "new"}
    session.expire_all()
    record = session.get(Deployment, created[2])
    assert record is not None
    assert (record.title, record.country, record.region, record.city, record.geo_precision,
            record.status, record.oversight_status, record.verification, record.external_ref,
            record.summary) == (
        "Face Recognition — Springfield Police Department", "US", "Illinois", "Springfield",
        "city", "operational", "unknown", "corroborated", "aos:AOS000001",
        "The department uses face recognition.")
    sources = session.exec(
        select(Source)
        .join(DeploymentSource, col(DeploymentSource.source_id) == Source.id)
        .where(DeploymentSource.deployment_id == record.id)
        .order_by(col(DeploymentSource.position))
    ).all()
    assert [(s.title, s.url, s.archived_url, s.publisher, s.source_type, s.published_on)
            for s in sources] == [
        ("Springfield News", "https://news.example/a",
         "https://web.archive.org/web/2020/https://news.example/a", "Springfield News", "news",
         "2020-03-05"),
        ("City of Springfield", "https://city.example/b", None, "City of Springfield",
         "government", "2021-03-07"),
        ("MuckRock", "https://foia.example/c", None, "MuckRock", "foi_response", "2022-03"),
        ("other.example", "https://other.example/x", None, None, "other", None),
        ("other.example", "https://other.example/y", None, None, "other", None),
    ]
    sheriff = session.get(Deployment, created[7])
    assert sheriff is not None
    assert (sheriff.region, sheriff.city, sheriff.verification) == (
        "California", "Los Angeles County", "unverified")
    kinds = dict(session.exec(select(Organisation.name, Organisation.kind)).all())
    assert kinds["Los Angeles County Sheriff's Department"] == "police"
    assert kinds["Springfield Police Department"] == "police"
    keys = session.exec(
        select(DeploymentCapability.capability_key)
        .where(DeploymentCapability.deployment_id == created[7])
    ).all()
    assert keys == ["alpr"]
    revisions = session.exec(select(Revision.entity_id, Revision.number, Revision.actor_label)
                             .order_by(col(Revision.id))).all()
    assert revisions == [(created[n], 1, "import atlas.csv") for n in (2, 7, 10)]

    # Importing the same file twice changes nothing: no revision, no row touched.
    after = database(session)
    again = apply_import(session=session, plan=plan(session, CRAFTED_ATLAS, "atlas.csv"),
                         actor="import atlas.csv")
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 3, "refused": 6}
    assert database(session) == after


def test_a_newer_atlas_download_updates_and_adds_but_removes_nothing(session: Session) -> None:
    first = atlas_file(atlas_row("AOS1", **{"Link 2": "", "Link 3": "", "Other Links": ""}))
    apply_import(session=session, plan=plan(session, first), actor="import a.csv")
    record = session.exec(select(Deployment)).one()
    staff_source = make_source(session, "Staff found this", url="https://staff.example/")
    session.add(DeploymentSource(deployment_id=record.id, source_id=staff_source.id,
                                 position=5))
    record.status = "suspended"  # a moderator's correction
    session.add(record)
    session.commit()

    newer = atlas_file(atlas_row("AOS1", Summary="Updated summary.",
                                 **{"Link 3": "", "Other Links": ""}))
    found = plan(session, newer)
    assert outcomes(found) == {2: ("updated", "summary, sources")}
    apply_import(session=session, plan=found, actor="import b.csv")
    session.expire_all()
    stored = session.get(Deployment, record.id)
    assert stored is not None and (stored.summary, stored.status) == (
        "Updated summary.", "suspended")
    urls = session.exec(
        select(Source.url)
        .join(DeploymentSource, col(DeploymentSource.source_id) == Source.id)
        .where(DeploymentSource.deployment_id == record.id)
        .order_by(col(DeploymentSource.position))
    ).all()
    assert urls == ["https://news.example/a", "https://staff.example/", "https://city.example/b"]
    latest = session.exec(select(Revision).order_by(col(Revision.id).desc())).first()
    assert latest is not None and latest.actor_label == "import b.csv"
    assert {c["field"] for c in latest.changes} >= {"summary", "sources"}


def test_an_archived_record_is_left_alone_by_the_atlas(session: Session) -> None:
    data = atlas_file(atlas_row("AOS1"))
    apply_import(session=session, plan=plan(session, data), actor="import a.csv")
    record = session.exec(select(Deployment)).one()
    record.state, record.archived_reason = "archived", "Not a deployment"
    session.add(record)
    session.commit()
    changed = atlas_file(atlas_row("AOS1", Summary="Something else"))
    (row,) = plan(session, changed).rows
    assert (row.action, row.notes) == ("unchanged", (f"record #{record.id} is archived and left "
                                                     "as it is",))


def test_vendor_names_match_stored_ones_before_creating(session: Session) -> None:
    """A stored vendor whose slug is not its name's slug is still found by its name."""
    make_vendor(session, "Huawei Technologies", slug="huawei")
    data = to_csv(["id", "title", "country", "vendors", "sources", "source_urls"], [
        {"title": "New", "country": "RS", "vendors": join_values(["Huawei Technologies (prime)"]),
         "sources": "S", "source_urls": "https://s.example/"},
    ])
    (row,) = plan(session, data).rows
    assert (row.action, row.notes) == ("new", ())
    apply_import(session=session, plan=plan(session, data), actor="import v.csv")
    assert len(session.exec(select(Vendor)).all()) == 1


def test_export_then_import_changes_nothing_with_hostile_links(session: Session) -> None:
    """Several vendors, operators and sources whose names hold separators, backslashes,
    quotes, commas, formula characters and non-ASCII text survive the CSV both ways."""
    zeta = make_vendor(session, 'Zeta; "Q" \\ Ltd', slug="zeta")
    alpha = make_vendor(session, "=Alpha, Inc.", slug="alpha")
    zhong = make_vendor(session, "Žhong 监控", slug="zhong")
    police = make_organisation(session, "-Police; Dept \\", slug="police", kind="police")
    ministry = make_organisation(session, '@Ministère "Intérieur"', slug="ministere")
    sources = [
        make_source(session, "Третий источник", url="https://news.example/\\c"),
        make_source(session, '+Source; one \\ with "quotes"', url="https://x.example/a;b"),
        make_source(session, "Leaflet, no address"),
    ]
    make_deployment(
        session, '=Hostile; "record"', summary="@line1\n\nline2; \\ end, with a comma",
        region="Ärea", vendors=[(zeta, "prime"), (alpha, "integrator"), (zhong, "supplier"),
                                (zeta, "financier")],
        operators=[police, ministry], capabilities=["face_recognition", "cctv", "alpr"],
        sources=sources,
    )
    data = export_csv(session)
    before = database(session)

    report = apply_import(session=session, plan=plan(session, data), actor="import hostile.csv")
    assert [row.action for row in report.rows] == ["unchanged"], outcomes(report)
    assert database(session) == before
