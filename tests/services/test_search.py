"""The search service on both backends: the same cases, the same answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app import search_index
from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentSource,
    DeploymentVendor,
    Source,
    Vendor,
)
from app.services.search import SearchParams, parse_params, search

search_index.install()


def _deployment(session: Session, title: str, country: str, **fields: object) -> Deployment:
    vendors = fields.pop("vendors", [])
    capabilities = fields.pop("capabilities", [])
    source_titles = fields.pop("sources", [])
    deployment = Deployment(
        title=title, slug=title.lower().replace(" ", "-"), country=country, **fields
    )
    session.add(deployment)
    session.flush()
    assert deployment.id is not None
    for vendor in vendors:  # type: ignore[attr-defined]
        session.add(
            DeploymentVendor(deployment_id=deployment.id, vendor_id=vendor.id, role="prime")
        )
    for key in capabilities:  # type: ignore[attr-defined]
        session.add(DeploymentCapability(deployment_id=deployment.id, capability_key=key))
    for position, source_title in enumerate(source_titles):  # type: ignore[arg-type]
        source = Source(title=source_title)
        session.add(source)
        session.flush()
        assert source.id is not None
        session.add(
            DeploymentSource(deployment_id=deployment.id, source_id=source.id, position=position)
        )
    return deployment


@pytest.fixture
def catalog(session: Session) -> dict[str, int]:
    huawei = Vendor(name="Huawei Technologies", slug="huawei", country="CN")
    hik = Vendor(name="Hikvision", slug="hikvision", country="CN")
    session.add_all([huawei, hik])
    session.flush()
    now = datetime.now(UTC)
    records = {
        "belgrade": _deployment(
            session,
            "Safe City Belgrade",
            "RS",
            city="Belgrade",
            started_on="2017",
            summary="Cameras in Belgrade, praised by President Vučić.",
            vendors=[huawei],
            capabilities=["alpr", "tripwire"],
            sources=["Since-deleted Huawei post"],
            status="operational",
            oversight_status="none_known",
            updated_at=now,
        ),
        "almaty": _deployment(
            session,
            "Safe city Almaty",
            "KZ",
            city="Almaty",
            started_on="2019-05",
            vendors=[huawei],
            capabilities=["cctv"],
            updated_at=now - timedelta(days=3),
        ),
        "novisad": _deployment(
            session,
            "Licence-plate readers in Novi Sad",
            "RS",
            city="Novi Sad",
            started_on="2021-02-03",
            ended_on="2023",
            vendors=[hik],
            capabilities=["alpr"],
            summary="Operated by Đorđe's department.",
            updated_at=now - timedelta(days=1),
        ),
        "archived": _deployment(
            session,
            "Withdrawn huawei record",
            "RS",
            state="archived",
            vendors=[huawei],
        ),
        "dronewall": _deployment(
            session,
            "Drone wall",
            "PL",
            capabilities=["border_surveillance"],
            updated_at=now - timedelta(days=2),
        ),
    }
    session.commit()
    return {name: d.id for name, d in records.items() if d.id is not None}


def ids(session: Session, **params: object) -> set[int]:
    result = search(session=session, params=SearchParams(**params), per_page=100)  # type: ignore[arg-type]
    return {card.id for card in result.cards}


def test_words_match_names_places_vendors_and_sources(
    session: Session, catalog: dict[str, int]
) -> None:
    assert ids(session, q="huawei") == {catalog["belgrade"], catalog["almaty"]}
    assert ids(session, q="belgrade huawei") == {catalog["belgrade"]}
    assert ids(session, q="serbia") == {catalog["belgrade"], catalog["novisad"]}  # country name
    assert ids(session, q="licence plate recognition") == {catalog["belgrade"], catalog["novisad"]}
    assert ids(session, q="since-deleted") == {catalog["belgrade"]}  # source title
    assert ids(session, q="tripwire detection") == {catalog["belgrade"]}  # capability label


def test_diacritics_are_folded_both_ways(session: Session, catalog: dict[str, int]) -> None:
    assert ids(session, q="vucic") == {catalog["belgrade"]}
    assert ids(session, q="VUČIĆ") == {catalog["belgrade"]}
    assert ids(session, q="dorde") == {catalog["novisad"]}
    assert ids(session, q="Đorđe") == {catalog["novisad"]}


def test_phrases_prefixes_and_exclusions(session: Session, catalog: dict[str, int]) -> None:
    assert ids(session, q='"safe city"') == {catalog["belgrade"], catalog["almaty"]}
    assert ids(session, q='"city safe"') == set()
    assert ids(session, q="belg*") == {catalog["belgrade"]}
    assert ids(session, q="belg") == set()
    assert ids(session, q="safe -almaty") == {catalog["belgrade"]}
    assert ids(session, q="-huawei") == {catalog["novisad"], catalog["dronewall"]}


def test_archived_records_are_not_listed(session: Session, catalog: dict[str, int]) -> None:
    assert catalog["archived"] not in ids(session)
    assert catalog["archived"] not in ids(session, q="withdrawn")


def test_filters(session: Session, catalog: dict[str, int]) -> None:
    assert ids(session, country=("RS",)) == {catalog["belgrade"], catalog["novisad"]}
    assert ids(session, country=("RS", "KZ")) == {
        catalog["belgrade"],
        catalog["novisad"],
        catalog["almaty"],
    }
    assert ids(session, vendor=("huawei",), country=("RS",)) == {catalog["belgrade"]}
    assert ids(session, capability=("video_analytics",)) == {catalog["belgrade"]}  # via tripwire
    assert ids(session, capability=("alpr", "cctv")) == {
        catalog["belgrade"],
        catalog["novisad"],
        catalog["almaty"],
    }
    assert ids(session, status=("operational",)) == {catalog["belgrade"]}
    assert ids(session, oversight=("none_known",)) == {catalog["belgrade"]}


def test_year_range_overlaps_the_deployment_span(session: Session, catalog: dict[str, int]) -> None:
    assert ids(session, year_from=2024) == {catalog["belgrade"], catalog["almaty"]}  # ongoing ones
    assert ids(session, year_from=2022) == {
        catalog["belgrade"],
        catalog["almaty"],
        catalog["novisad"],
    }
    assert ids(session, year_to=2018) == {catalog["belgrade"]}
    assert ids(session, year_from=2018, year_to=2020) == {catalog["belgrade"], catalog["almaty"]}


def test_facets_count_the_current_search_without_their_own_filter(
    session: Session, catalog: dict[str, int]
) -> None:
    result = search(session=session, params=SearchParams(q="huawei", country=("RS",)))
    assert result.total == 1
    countries = {v.value: (v.count, v.selected) for v in result.facets["country"]}
    assert countries == {"RS": (1, True), "KZ": (1, False)}
    vendors = {v.value: v.count for v in result.facets["vendor"]}
    assert vendors == {"huawei": 1}
    capabilities = {v.value: v.count for v in result.facets["capability"]}
    assert capabilities == {"video_analytics": 1, "tripwire": 1, "alpr": 1}
    labels = {v.value: v.label for v in result.facets["country"]}
    assert labels["RS"] == "Serbia"


def test_sorting_and_pagination(session: Session, catalog: dict[str, int]) -> None:
    by_title = search(session=session, params=SearchParams(sort="title"), per_page=2)
    assert (by_title.total, by_title.pages) == (4, 2)
    assert [c.title for c in by_title.cards] == ["Drone wall", "Licence-plate readers in Novi Sad"]
    second = search(session=session, params=SearchParams(sort="title", page=2), per_page=2)
    assert [c.title for c in second.cards] == ["Safe city Almaty", "Safe City Belgrade"]
    newest = search(session=session, params=SearchParams(), per_page=10)
    assert [c.id for c in newest.cards] == sorted(
        newest_ids := [c.id for c in newest.cards], reverse=True
    )
    assert len(newest_ids) == 4
    updated = search(session=session, params=SearchParams(sort="updated"), per_page=10)
    assert [c.id for c in updated.cards] == [
        catalog["belgrade"],
        catalog["novisad"],
        catalog["dronewall"],
        catalog["almaty"],
    ]
    ranked = search(session=session, params=SearchParams(q="belgrade"), per_page=10)
    assert ranked.cards[0].id == catalog["belgrade"]
    assert ranked.cards[0].vendors == ["Huawei Technologies"]


def test_index_follows_vendor_renames_and_source_edits(
    session: Session, catalog: dict[str, int]
) -> None:
    vendor = session.exec(select(Vendor).where(Vendor.slug == "hikvision")).one()
    vendor.name = "Acme Vision"
    session.commit()
    assert ids(session, q="acme") == {catalog["novisad"]}
    assert ids(session, q="hikvision") == set()
    source = session.exec(select(Source)).one()
    source.title = "Procurement register entry"
    session.commit()
    assert ids(session, q="procurement") == {catalog["belgrade"]}
    deployment = session.get(Deployment, catalog["almaty"])
    assert deployment is not None
    deployment.title = "Smart city Almaty"
    session.commit()
    assert ids(session, q="smart") == {catalog["almaty"]}
    session.delete(deployment)
    session.commit()
    assert ids(session, q="almaty") == set()


def test_did_you_mean_suggests_known_words(session: Session, catalog: dict[str, int]) -> None:
    result = search(session=session, params=SearchParams(q="huawai belgrde"))
    assert result.total == 0
    assert result.suggestion == "huawei belgrade"
    assert ids(session, q=result.suggestion) == {catalog["belgrade"]}


HOSTILE_QUERIES = [
    '"unbalanced',
    'unbalanced"',
    '"',
    '""',
    "*",
    "-",
    "--",
    "- * -",
    "**huawei",
    "huawei**",
    "NEAR",
    "huawei NEAR belgrade",
    "AND OR NOT",
    "huawei OR belgrade",
    "NOT huawei",
    "NEAR(huawei belgrade, 2)",
    "title:huawei",
    "{title}: huawei",
    "^huawei",
    "huawei +belgrade",
    "'; DROP TABLE deployment; --",
    "1' OR '1'='1",
    "\\",
    "%",
    "_",
    "(",
    ")",
    "[]",
    ":*",
    "!",
    "<->",
    "&|!",
    "a" * 10_000,
    "huawei " * 2000,
    "😀📷🛰️",
    "камера",
    "مراقبة الكاميرات",
    "מצלמות",
    "\u202eiewauh",
    "huawei\x00belgrade",
    "\x00",
    "\u200b",
    "中国 华为",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_any_input_gives_an_answer(session: Session, catalog: dict[str, int], query: str) -> None:
    result = search(session=session, params=SearchParams(q=query))
    assert result.total >= 0
    assert result.total == 0 or result.cards
    assert all(isinstance(note, str) for note in result.notes)


def test_operators_are_words_not_syntax(session: Session, catalog: dict[str, int]) -> None:
    assert ids(session, q="huawei OR belgrade") == {catalog["belgrade"]}
    assert ids(session, q="huawei NEAR belgrade") == {catalog["belgrade"]}
    result = search(session=session, params=SearchParams(q="huawei OR drone"))
    assert any("not an operator" in note for note in result.notes)


def test_parse_params_reports_each_bad_value() -> None:
    params, errors = parse_params(
        [
            ("country", "rs"),
            ("country", "XX"),
            ("capability", "teleportation"),
            ("year_from", "20x"),
            ("year_to", "1800"),
            ("sort", "random"),
            ("page", "0"),
            ("status", "operational"),
            ("unknown", "ignored"),
            ("vendor", "Huawei"),
        ]
    )
    assert params.country == ("RS",)
    assert params.status == ("operational",)
    assert params.vendor == ("huawei",)
    assert params.capability == ()
    assert set(errors) == {"country", "capability", "year_from", "year_to", "sort", "page"}
    assert "XX" in errors["country"]


def test_parse_params_checks_year_order() -> None:
    params, errors = parse_params([("year_from", "2020"), ("year_to", "2019")])
    assert params.year_from == 2020 and params.year_to is None
    assert "before" in errors["year_to"]


def test_unknown_vendor_is_reported_by_the_service(
    session: Session, catalog: dict[str, int]
) -> None:
    result = search(session=session, params=SearchParams(vendor=("nosuchvendor", "huawei")))
    assert "vendor" in result.errors
    assert result.params.vendor == ("huawei",)
    assert {c.id for c in result.cards} == {catalog["belgrade"], catalog["almaty"]}


def test_query_items_round_trip() -> None:
    params = SearchParams(q="huawei", country=("RS", "KZ"), year_from=2017, sort="title", page=3)
    parsed, errors = parse_params(params.query_items())
    assert errors == {} and parsed == params
    assert ("page", "2") in params.query_items(page=2)
    assert params.toggled("country", "RS").country == ("KZ",)
    assert params.toggled("country", "PL").country == ("RS", "KZ", "PL")
    assert params.toggled("country", "PL").page == 1
