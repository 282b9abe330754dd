"""The demo data: stated facts only, cited, searchable, and loaded idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, SQLModel, col, select

from app import vocab
from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentSource,
    DeploymentVendor,
    Source,
    Vendor,
)
from app.services.demo import load_demo
from app.services.demo_data import DEMO_DEPLOYMENTS

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"

EXPECTED_COUNTRIES = {
    "huawei-safe-city-belgrade": "RS",
    "huawei-safe-city-armenia": "AM",
    "huawei-safe-city-azerbaijan": "AZ",
    "huawei-safe-city-russia": "RU",
    "huawei-safe-city-tajikistan": "TJ",
    "huawei-safe-city-ukraine": "UA",
    "huawei-safe-city-uzbekistan": "UZ",
    "huawei-safe-city-kyrgyzstan": "KG",
    "huawei-safe-city-kazakhstan": "KZ",
    "wing-loong-drones-serbia": "RS",
    "pegasus-drone-programme-serbia": "RS",
    "repellent-electronic-warfare-serbia": "RS",
    "drone-wall-poland": "PL",
    "drone-wall-lithuania": "LT",
    "drone-wall-latvia": "LV",
    "drone-plant-belarus": "BY",
}

TABLES: tuple[type[SQLModel], ...] = (
    Deployment, Source, Vendor, DeploymentSource, DeploymentVendor, DeploymentCapability,
)


def _count(session: Session, model: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _by_slug(session: Session) -> dict[str, Deployment]:
    return {d.slug: d for d in session.exec(select(Deployment))}


def _capabilities(session: Session, deployment: Deployment) -> set[str]:
    return set(session.exec(
        select(DeploymentCapability.capability_key)
        .where(DeploymentCapability.deployment_id == deployment.id)
    ))


def test_load_creates_the_records_the_product_lists(session: Session) -> None:
    report = load_demo(session=session)

    assert (report.created, report.updated, report.unchanged) == (len(DEMO_DEPLOYMENTS), 0, 0)
    records = _by_slug(session)
    assert {slug: d.country for slug, d in records.items()} == EXPECTED_COUNTRIES
    for deployment in records.values():
        assert deployment.is_demo
        assert deployment.state == "published"
        assert deployment.oversight_status == "unknown"
        assert deployment.verification == "unverified"
        assert deployment.summary.strip()
        assert "<" not in deployment.summary  # plain text


def test_every_record_cites_a_source_without_inventing_a_url(session: Session) -> None:
    load_demo(session=session)

    for deployment in session.exec(select(Deployment)):
        links = session.exec(
            select(DeploymentSource).where(DeploymentSource.deployment_id == deployment.id)
        ).all()
        assert links, deployment.slug
        assert all(link.claim for link in links)
    for source in session.exec(select(Source)):
        assert source.url is None
        assert source.archived_url is None
        assert source.publisher is None  # no seed names its own publisher
        assert source.published_on is None
        assert source.source_type == "news"
        assert source.excerpt and len(source.excerpt) <= 400


def test_excerpts_and_headlines_are_quoted_verbatim_from_the_seeds() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS}; they sit beside the repository")
    seeds = {path.name: path.read_text(encoding="utf-8") for path in SEEDS.glob("*.txt")}
    sources = {citation.source for d in DEMO_DEPLOYMENTS for citation in d.citations}
    for source in sources:
        assert source.excerpt in seeds[source.seed], source.excerpt
        if not source.title.startswith("[Untitled article]"):
            assert source.title in seeds[source.seed], source.title


def test_capabilities_and_statuses_come_from_the_vocabularies() -> None:
    capabilities = vocab.keys(vocab.CAPABILITIES)
    for deployment in DEMO_DEPLOYMENTS:
        assert set(deployment.capabilities) <= capabilities
        assert deployment.status in vocab.keys(vocab.LIFECYCLE_STATUSES)
        assert deployment.geo_precision in vocab.keys(vocab.GEO_PRECISIONS)
        for _vendor, role in deployment.vendors:
            assert role in vocab.keys(vocab.VENDOR_ROLES)


def test_belgrade_holds_the_stated_facts_and_no_more(session: Session) -> None:
    load_demo(session=session)
    belgrade = _by_slug(session)["huawei-safe-city-belgrade"]

    assert _capabilities(session, belgrade) == {
        "alpr", "tripwire", "loitering", "abandoned_object", "behaviour_analysis",
        "video_management", "cctv",
    }
    # "More than 100" cameras at "over 60" sites are lower bounds, not counts.
    assert belgrade.camera_count is None and belgrade.site_count is None
    assert belgrade.scale_note is not None
    assert "More than 100" in belgrade.scale_note and "over 60 sites" in belgrade.scale_note
    assert belgrade.announced_on == "2017" and belgrade.first_year == 2017
    assert belgrade.city == "Belgrade" and belgrade.geo_precision == "city"
    assert belgrade.latitude is not None and belgrade.longitude is not None
    assert "since-deleted post" in belgrade.summary
    assert "Sept. 18" in belgrade.summary
    vendors = session.exec(
        select(Vendor.name, Vendor.country, Vendor.ownership)
        .join(DeploymentVendor, col(DeploymentVendor.vendor_id) == Vendor.id)
        .where(DeploymentVendor.deployment_id == belgrade.id)
    ).all()
    assert vendors == [("Huawei Technologies", "CN", "unknown")]


def test_other_records_keep_to_the_text(session: Session) -> None:
    load_demo(session=session)
    records = _by_slug(session)

    for slug, deployment in records.items():
        if slug != "huawei-safe-city-belgrade":
            assert deployment.announced_on is None and deployment.started_on is None, slug
            assert deployment.latitude is None and deployment.longitude is None, slug
    for code_slug in [s for s in EXPECTED_COUNTRIES if s.startswith("huawei-safe-city-")]:
        assert records[code_slug].programme == "Safe City"
    for name in ("armenia", "kazakhstan"):
        record = records[f"huawei-safe-city-{name}"]
        assert record.status == "unknown" and record.geo_precision == "country"
        assert _capabilities(session, record) == set()

    wing_loong = records["wing-loong-drones-serbia"]
    assert _capabilities(session, wing_loong) == {"armed_drone"}
    assert "Nine" in wing_loong.summary and "15" in wing_loong.summary
    assert session.exec(
        select(DeploymentVendor).where(DeploymentVendor.deployment_id == wing_loong.id)
    ).all() == []  # the text names no manufacturer
    pegasus = records["pegasus-drone-programme-serbia"]
    assert "12 hours" in pegasus.summary and "100 kilometres" in pegasus.summary
    assert "Vučić" in records["repellent-electronic-warfare-serbia"].summary
    assert _capabilities(session, records["drone-wall-lithuania"]) == {"border_surveillance"}
    plant = records["drone-plant-belarus"]
    assert plant.status == "announced"
    assert "100,000" in plant.summary and "2,000" in plant.summary
    # One vendor (Huawei), shared by the nine Huawei records.
    assert _count(session, Vendor) == 1


def test_load_twice_changes_nothing(session: Session) -> None:
    load_demo(session=session)
    counts = [_count(session, model) for model in TABLES]
    stamps = {d.slug: d.updated_at for d in session.exec(select(Deployment))}
    session.expire_all()

    report = load_demo(session=session)

    assert (report.created, report.updated, report.unchanged) == (0, 0, len(DEMO_DEPLOYMENTS))
    assert not report.changed
    session.expire_all()
    assert counts == [_count(session, model) for model in TABLES]
    assert stamps == {d.slug: d.updated_at for d in session.exec(select(Deployment))}


def test_load_restores_an_edited_demo_record_and_leaves_vendors_alone(session: Session) -> None:
    load_demo(session=session)
    records = _by_slug(session)
    belgrade = records["huawei-safe-city-belgrade"]
    before = belgrade.updated_at
    belgrade.title = "Edited"
    session.delete(session.exec(select(DeploymentCapability).where(
        DeploymentCapability.deployment_id == belgrade.id,
        DeploymentCapability.capability_key == "alpr",
    )).one())
    huawei = session.exec(select(Vendor)).one()
    huawei.ownership = "private"  # a moderator's edit to a shared vendor
    session.commit()

    report = load_demo(session=session)

    assert (report.created, report.updated) == (0, 1)
    session.expire_all()
    belgrade = _by_slug(session)["huawei-safe-city-belgrade"]
    assert belgrade.title == "Huawei Safe City, Belgrade"
    assert "alpr" in _capabilities(session, belgrade)
    assert belgrade.updated_at != before
    assert session.exec(select(Vendor)).one().ownership == "private"


def test_non_demo_records_with_a_demo_slug_are_left_alone(session: Session) -> None:
    session.add(Deployment(slug="huawei-safe-city-belgrade", title="A real record", country="RS"))
    session.commit()

    report = load_demo(session=session)

    assert report.created == len(DEMO_DEPLOYMENTS)
    titles = set(session.exec(select(Deployment.title).where(
        Deployment.slug == "huawei-safe-city-belgrade")))
    assert titles == {"A real record", "Huawei Safe City, Belgrade"}


def test_demo_records_are_in_the_search_index(session: Session) -> None:
    load_demo(session=session)
    repellent = _by_slug(session)["repellent-electronic-warfare-serbia"]

    # "vucic" without diacritics finds the record that says "Vučić".
    if session.get_bind().dialect.name == "sqlite":
        sql = "SELECT rowid FROM deployment_fts WHERE deployment_fts MATCH 'vucic'"
    else:
        sql = "SELECT deployment_id FROM deployment_search WHERE document @@ 'vucic'::tsquery"
    assert repellent.id in set(session.execute(text(sql)).scalars())
