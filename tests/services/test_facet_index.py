"""Search's bitmaps: the same answers as the SQL path, and never out of date across instances.

Two engines on one database stand for two app instances: a change committed through one is
seen by the next search through the other, because every change moves `catalog_version`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import search_index
from app.db import create_db_engine
from app.models import Deployment, DeploymentCapability, DeploymentVendor
from app.services import facet_index, search_filters
from app.services.search import SearchParams, SearchResult, search
from tests.factories import make_deployment, make_vendor

search_index.install()

COUNTRIES = ("RS", "KZ", "PL", "US", "BR", "FR")
STATUSES = ("announced", "pilot", "operational", "suspended", "unknown")
OVERSIGHT = ("unknown", "none_known", "challenged", "banned")
VERIFICATION = ("unverified", "corroborated", "verified")
CAPABILITIES = ("cctv", "tripwire", "loitering", "video_analytics", "alpr", "live_face_recognition")
WORDS = ("safe", "city", "cameras", "police", "drone", "border", "metro", "river")


@pytest.fixture
def other_engine(database_url: str) -> Iterator[Engine]:
    """A second engine on the same database: another app instance."""
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def _search(engine: Engine, **params: object) -> SearchResult:
    with Session(engine) as session:
        assert facet_index.bitmaps_for(session) is not None  # the bitmap path is the one tested
        return search(session=session, params=SearchParams(**params), per_page=50)  # type: ignore[arg-type]


def _version(engine: Engine) -> int | None:
    with Session(engine) as session:
        return search_index.catalog_version(session)


def _ids(result: SearchResult) -> set[int]:
    return {card.id for card in result.cards}


def _counts(result: SearchResult, facet: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[facet]}


def test_a_change_through_one_instance_is_seen_by_the_next_search_through_another(
    session: Session, engine: Engine, other_engine: Engine
) -> None:
    vendor = make_vendor(session, "Acme Optics", slug="acme")
    first = make_deployment(session, "River cameras", vendors=[(vendor, "supplier")])
    assert first.id is not None
    before = _search(other_engine, q="river")
    assert _ids(before) == {first.id}
    assert _counts(before, "vendor") == {"acme": 1}
    version = _version(other_engine)
    assert version is not None

    # A vendor renamed: its label and the words that find its records.
    vendor.name = "Zenith Optics"
    session.add(vendor)
    session.commit()
    assert (_version(other_engine) or 0) > version
    renamed = _search(other_engine, q="zenith")
    assert _ids(renamed) == {first.id}
    assert [v.label for v in renamed.facets["vendor"]] == ["Zenith Optics"]

    # A link added without touching the deployment row.
    session.add(DeploymentCapability(deployment_id=first.id, capability_key="alpr"))
    session.commit()
    assert _ids(_search(other_engine, capability=("alpr",))) == {first.id}

    # A new record, then the first one archived.
    second = make_deployment(session, "Metro cameras", country="PL")
    assert _ids(_search(other_engine)) == {first.id, second.id}
    first.state = "archived"
    session.add(first)
    session.commit()
    after = _search(other_engine)
    assert (after.total, _ids(after)) == (1, {second.id})
    assert _counts(after, "country") == {"PL": 1}


def test_bulk_statements_and_records_without_links_move_the_version(
    session: Session, engine: Engine, other_engine: Engine
) -> None:
    vendor = make_vendor(session, "Acme Optics", slug="acme")
    record = make_deployment(session, "River cameras", vendors=[(vendor, "supplier")])
    assert _counts(_search(other_engine), "vendor") == {"acme": 1}
    version = _version(engine) or 0

    # A DELETE statement through the session, bypassing the unit of work.
    session.execute(delete(DeploymentVendor).where(DeploymentVendor.deployment_id == record.id))
    session.commit()
    assert (_version(engine) or 0) == version + 1
    assert _counts(_search(other_engine), "vendor") == {}

    # A vendor with no records yet: it re-indexes nothing, but a search can name it.
    make_vendor(session, "Nova Systems", slug="nova")
    assert (_version(engine) or 0) == version + 2
    named = _search(other_engine, vendor=("nova",))
    assert [(v.value, v.label, v.count) for v in named.facets["vendor"]] == [
        ("nova", "Nova Systems", 0)
    ]


def test_commits_that_change_nothing_searchable_keep_the_version(
    session: Session, engine: Engine
) -> None:
    make_deployment(session, "River cameras")
    version = _version(engine)
    session.commit()  # nothing pending
    assert _version(engine) == version


def test_a_session_with_uncommitted_changes_counts_in_sql_and_sees_them(
    session: Session, engine: Engine
) -> None:
    make_deployment(session, "River cameras")
    assert facet_index.bitmaps_for(session) is not None
    session.add(Deployment(title="Metro cameras", slug="metro-cameras", country="KZ"))
    session.flush()
    assert facet_index.bitmaps_for(session) is None
    # (The full-text index catches up at commit, so no words here.)
    result = search(session=session, params=SearchParams())
    assert (result.total, _counts(result, "country")) == (2, {"RS": 1, "KZ": 1})
    session.rollback()
    assert search(session=session, params=SearchParams()).total == 1


def test_did_you_mean_knows_a_city_added_through_another_instance(
    session: Session, other_engine: Engine
) -> None:
    make_deployment(session, "River cameras", city="Belgrade")
    assert _search(other_engine, q="novosibirsk").suggestion is None
    make_deployment(session, "Metro cameras", city="Novosibirsk")
    assert _search(other_engine, q="novosibirk").suggestion == "novosibirsk"


def _random_catalog(session: Session) -> None:
    rng = random.Random(7)
    names = ("Alpha", "Bravo", "Delta")
    vendors = [make_vendor(session, name, slug=name.lower()) for name in names]
    now = datetime.now(UTC)
    for n in range(40):
        year = rng.choice([None, 2012, 2016, 2019, 2022])
        ended = rng.choice([None, None, "2018", "2024"]) if year else None
        title = " ".join(rng.sample(WORDS, 3)) + f" {n}"
        make_deployment(
            session,
            title.capitalize(),
            country=rng.choice(COUNTRIES),
            status=rng.choice(STATUSES),
            oversight_status=rng.choice(OVERSIGHT),
            verification=rng.choice(VERIFICATION),
            state="archived" if n % 9 == 4 else "published",
            started_on=str(year) if year else None,
            ended_on=ended,
            city=rng.choice(["Belgrade", "Almaty", None]),
            vendors=[(v, "supplier") for v in rng.sample(vendors, rng.randint(0, 2))],
            capabilities=rng.sample(CAPABILITIES, rng.randint(0, 3)),
            updated_at=now - timedelta(hours=rng.randint(0, 500)),
        )


CASES: list[dict[str, object]] = [
    {},
    {"page": 2},
    {"page": 9},
    {"sort": "title"},
    {"sort": "title", "page": 2},
    {"sort": "updated", "page": 2},
    {"sort": "relevance"},
    {"q": "cameras"},
    {"q": "cameras", "page": 2},
    {"q": "cameras police", "sort": "updated"},
    {"q": '"safe city"'},
    {"q": "bord*", "country": ("PL", "US")},
    {"q": "cameras -police"},
    {"q": "-drone", "sort": "title"},
    {"q": "belgrad"},
    {"q": "nothingmatches"},
    {"country": ("RS",)},
    {"country": ("RS", "KZ"), "status": ("operational", "pilot")},
    {"vendor": ("alpha",)},
    {"vendor": ("alpha", "delta"), "capability": ("video_analytics",)},
    {"capability": ("cctv", "alpr"), "oversight": ("unknown",)},
    {"verification": ("verified",), "sort": "title"},
    {"year_from": 2017},
    {"year_to": 2018},
    {"year_from": 2015, "year_to": 2020, "q": "city"},
    {"vendor": ("alpha", "nosuchvendor")},
]


@pytest.mark.parametrize("case", CASES, ids=[repr(c) for c in CASES])
def test_bitmaps_give_the_answers_of_the_sql_path(
    session: Session, engine: Engine, case: dict[str, object]
) -> None:
    _random_catalog(session)
    params = SearchParams(**case)  # type: ignore[arg-type]
    with Session(engine) as reference_session:
        reference = search(session=reference_session, params=params, per_page=7, use_bitmaps=False)
    assert facet_index.bitmaps_for(session) is not None
    assert search(session=session, params=params, per_page=7) == reference
    # The second time comes from the cached text match and sort orders.
    assert search(session=session, params=params, per_page=7) == reference


def test_the_sql_reference_sees_the_archived_record_gone_too(
    session: Session, engine: Engine
) -> None:
    _random_catalog(session)
    record = session.exec(select(Deployment).where(Deployment.state == "published")).first()
    assert record is not None
    record.state = "archived"
    session.add(record)
    session.commit()
    params = SearchParams(sort="title")
    reference = search(session=session, params=params, per_page=100, use_bitmaps=False)
    assert search(session=session, params=params, per_page=100) == reference
    assert record.id not in _ids(reference)


def test_one_instance_answering_every_case_in_turn_still_matches_the_sql_path(
    session: Session, engine: Engine
) -> None:
    """The cached text matches and orders are shared between searches (unranked first, then
    ranked for the same words, other pages, other filters)."""
    _random_catalog(session)
    with Session(engine) as reference_session:
        for case in [*CASES, *reversed(CASES)]:
            params = SearchParams(**case)  # type: ignore[arg-type]
            reference = search(
                session=reference_session, params=params, per_page=7, use_bitmaps=False
            )
            assert search(session=session, params=params, per_page=7) == reference, case


def test_words_too_broad_to_rank_give_the_answers_of_the_sql_path(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a limit low enough that most word searches are listed newest first (and a few
    are still ranked), both paths take the same decision and list the same pages."""
    monkeypatch.setattr(search_filters, "RANK_LIMIT", 5)
    _random_catalog(session)
    sorts: set[str] = set()
    with Session(engine) as reference_session:
        for case in CASES:
            params = SearchParams(**case)  # type: ignore[arg-type]
            reference = search(
                session=reference_session, params=params, per_page=7, use_bitmaps=False
            )
            assert search(session=session, params=params, per_page=7) == reference, case
            if params.q:
                sorts.add(reference.sort)
    assert {"newest", "relevance"} <= sorts
