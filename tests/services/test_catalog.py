"""The catalog read service: one record with everything it links to, vendors, countries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from factories import (
    make_deployment,
    make_organisation,
    make_oversight_event,
    make_source,
    make_vendor,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import search_index
from app.services import catalog

search_index.install()


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_detail_has_every_link_in_order(session: Session) -> None:
    huawei = make_vendor(session, "Huawei", country="CN")
    bank = make_vendor(session, "Exim Bank")
    police = make_organisation(session, "Ministry of Interior", kind="interior_ministry")
    first = make_source(session, "First article", publisher="N1")
    second = make_source(session, "Second article", publisher="BIRN")
    law = make_source(session, "Law text")
    deployment = make_deployment(
        session,
        "Belgrade Safe City",
        vendors=[(huawei, "prime"), (bank, "financier")],
        operators=[police],
        capabilities=["tripwire", "cctv"],
        sources=[(second, "camera count"), (first, "contract signed")],
        contract_value=Decimal("1000000.50"),
        currency="EUR",
    )
    make_oversight_event(session, deployment, date="2021-05", kind="dpa_action", sources=[law])
    make_oversight_event(session, deployment, date="2019", kind="foi_request")
    make_oversight_event(session, deployment, date=None, kind="other")
    deployment_id = deployment.id
    assert deployment_id is not None
    session.expunge_all()

    detail = catalog.get_deployment_detail(session=session, deployment_id=deployment_id)

    assert detail is not None
    assert detail.deployment.title == "Belgrade Safe City"
    assert [(v.vendor.name, v.role) for v in detail.vendors] == [
        ("Exim Bank", "financier"),
        ("Huawei", "prime"),
    ]
    assert [o.name for o in detail.operators] == ["Ministry of Interior"]
    tripwire = next(c for c in detail.capabilities if c.key == "tripwire")
    assert (tripwire.parent_key, tripwire.parent_label) == ("video_analytics", "Video analytics")
    cctv = next(c for c in detail.capabilities if c.key == "cctv")
    assert cctv.parent_key is None
    # Sources keep the position the moderator gave them, with the claim each supports.
    assert [(s.source.title, s.claim) for s in detail.sources] == [
        ("Second article", "camera count"),
        ("First article", "contract signed"),
    ]
    # Oversight events by date, undated last, each with its own sources.
    assert [e.event.date for e in detail.oversight_events] == ["2019", "2021-05", None]
    assert [s.title for s in detail.oversight_events[1].sources] == ["Law text"]
    assert detail.oversight_events[0].sources == []


def test_detail_runs_a_fixed_number_of_queries(session: Session, engine: Engine) -> None:
    vendors = [make_vendor(session) for _ in range(6)]
    sources = [make_source(session) for _ in range(8)]
    deployment = make_deployment(
        session,
        vendors=[(v, "supplier") for v in vendors],
        operators=[make_organisation(session) for _ in range(3)],
        capabilities=["cctv", "alpr", "loitering", "face_recognition"],
        sources=sources,
    )
    for i in range(5):
        make_oversight_event(session, deployment, date=f"201{i}", sources=sources[:3])
    deployment_id = deployment.id
    assert deployment_id is not None
    session.expunge_all()

    with count_queries(engine) as statements:
        detail = catalog.get_deployment_detail(session=session, deployment_id=deployment_id)

    assert detail is not None
    assert len(detail.sources) == 8
    assert all(len(e.sources) == 3 for e in detail.oversight_events)
    assert len(statements) <= 7, statements


def test_detail_hides_unknown_and_non_public_records(session: Session) -> None:
    draft = make_deployment(session, state="draft")
    archived = make_deployment(session, state="archived", archived_reason="Duplicate")
    assert draft.id is not None and archived.id is not None

    assert catalog.get_deployment_detail(session=session, deployment_id=draft.id) is None
    assert catalog.get_deployment_detail(session=session, deployment_id=archived.id) is not None
    assert catalog.get_deployment_detail(session=session, deployment_id=987654) is None
    assert catalog.get_deployment_detail(session=session, deployment_id=2**70) is None
    assert catalog.get_deployment_detail(session=session, deployment_id=0) is None


def test_home_summary_counts_published_records(session: Session) -> None:
    huawei = make_vendor(session, "Huawei")
    hik = make_vendor(session, "Hikvision")
    make_vendor(session, "Unused vendor")
    make_deployment(session, vendors=[(huawei, "prime")], country="RS")
    make_deployment(session, vendors=[(huawei, "prime"), (hik, "supplier")], country="AM")
    make_deployment(session, vendors=[(hik, "supplier")], country="RS")
    make_deployment(session, country="KZ", state="archived")

    summary = catalog.home_summary(session=session)

    assert (summary.deployments, summary.countries, summary.vendors) == (3, 2, 2)


def test_home_summary_of_an_empty_database(session: Session) -> None:
    summary = catalog.home_summary(session=session)
    assert (summary.deployments, summary.countries, summary.vendors) == (0, 0, 0)


def test_list_vendors_counts_published_deployments(session: Session) -> None:
    huawei = make_vendor(session, "huawei technologies", slug="huawei")
    axis = make_vendor(session, "Axis")
    make_vendor(session, "Zeta")
    make_deployment(session, vendors=[(huawei, "prime"), (huawei, "supplier")])
    make_deployment(session, vendors=[(huawei, "prime")])
    make_deployment(session, vendors=[(axis, "prime")], state="archived")

    listing = catalog.list_vendors(session=session)

    assert [(item.vendor.name, item.deployments) for item in listing] == [
        ("Axis", 0),
        ("huawei technologies", 2),
        ("Zeta", 0),
    ]


def test_get_vendor_with_parent_and_subsidiaries(session: Session) -> None:
    parent = make_vendor(session, "CETC")
    child = make_vendor(session, "Hikvision", parent_id=parent.id)

    detail = catalog.get_vendor(session=session, slug="hikvision")
    assert detail is not None
    assert detail.vendor.id == child.id
    assert detail.parent is not None and detail.parent.name == "CETC"

    parent_detail = catalog.get_vendor(session=session, slug="cetc")
    assert parent_detail is not None
    assert [v.name for v in parent_detail.subsidiaries] == ["Hikvision"]
    assert catalog.get_vendor(session=session, slug="nobody") is None


def test_get_country_accepts_any_case_and_rejects_unknown_codes() -> None:
    country = catalog.get_country(code="rs")
    assert country is not None
    assert (country.code, country.name) == ("RS", "Serbia")
    for code in ("ZZ", "SRB", "", "r", "1A", "ŠR"):
        assert catalog.get_country(code=code) is None


def test_get_capability_with_parent_and_children(session: Session) -> None:
    parent = catalog.get_capability(session=session, key="video_analytics")
    assert parent is not None
    assert parent.parent is None
    assert "tripwire" in [c.key for c in parent.children]

    child = catalog.get_capability(session=session, key="tripwire")
    assert child is not None
    assert child.parent is not None and child.parent.key == "video_analytics"
    assert child.children == []
    assert catalog.get_capability(session=session, key="nope") is None
