"""Statistics and the map's list on both backends: counts that honour the whole search."""

from __future__ import annotations

import pytest
from factories import make_deployment, make_vendor
from sqlmodel import Session

from app import search_index, vocab
from app.services.places import places_by_country
from app.services.search_params import SearchParams, parse_params
from app.services.stats import TOP_COUNTRIES, Chart, search_statistics

search_index.install()


def counts(chart: Chart) -> dict[str, int]:
    return {bar.label: bar.count for bar in chart.bars}


def chart(name: str, charts: list[Chart]) -> Chart:
    return next(c for c in charts if c.name == name)


def params(*items: tuple[str, str]) -> SearchParams:
    parsed, errors = parse_params(items)
    assert errors == {}
    return parsed


@pytest.fixture
def catalog(session: Session) -> None:
    huawei = make_vendor(session, "Huawei", slug="huawei")
    hik = make_vendor(session, "Hikvision", slug="hikvision")
    make_deployment(
        session,
        "Belgrade Safe City",
        country="RS",
        city="Belgrade",
        announced_on="2017",
        started_on="2019-03",
        vendors=[(huawei, "prime"), (hik, "supplier")],
        capabilities=["cctv", "tripwire", "loitering"],
        oversight_status="challenged",
        latitude=44.8,
        longitude=20.46,
    )
    make_deployment(
        session,
        "Novi Sad face recognition",
        country="RS",
        city="Novi Sad",
        started_on="2019",
        vendors=[(huawei, "supplier")],
        capabilities=["video_analytics", "live_face_recognition"],
    )
    make_deployment(
        session,
        "Yerevan plate readers",
        country="AM",
        started_on="2021",
        capabilities=["alpr"],
        oversight_status="none_known",
    )
    make_deployment(session, "Withdrawn record", country="AM", state="archived")


def test_counts_by_every_dimension(session: Session, catalog: None) -> None:
    stats = search_statistics(session=session, params=SearchParams())

    assert stats.total == 3  # the archived record is not counted
    assert stats.errors == {}
    assert [c.name for c in stats.charts] == [
        "country",
        "vendor",
        "capability",
        "oversight",
        "year",
    ]
    assert counts(chart("country", stats.charts)) == {"Serbia": 2, "Armenia": 1}
    vendors = chart("vendor", stats.charts)
    # A record with two vendors counts once for each; one record names none.
    assert counts(vendors) == {"Huawei": 2, "Hikvision": 1}
    assert [bar.key for bar in vendors.bars] == ["huawei", "hikvision"]
    assert "1 record name no vendor" in vendors.note
    capabilities = chart("capability", stats.charts)
    by_key = {bar.key: bar for bar in capabilities.bars}
    # The parent counts each record with it or a child once: Belgrade (two children) and Novi
    # Sad (the parent itself) make 2, not 3.
    assert by_key["video_analytics"].count == 2
    assert by_key["tripwire"].count == 1 and by_key["tripwire"].depth == 1
    assert by_key["face_recognition"].count == 1
    assert by_key["live_face_recognition"].count == 1
    assert by_key["alpr"].count == 1
    assert "intrusion" not in by_key  # no record has it
    order = [t.key for t in vocab.CAPABILITIES]
    assert [bar.key for bar in capabilities.bars] == sorted(by_key, key=order.index)
    oversight = chart("oversight", stats.charts)
    # Every status, in the vocabulary's order, including those no record has.
    assert [bar.key for bar in oversight.bars] == [t.key for t in vocab.OVERSIGHT_STATUSES]
    assert counts(oversight)["Challenged"] == 1
    assert counts(oversight)["Unknown"] == 1
    assert counts(oversight)["Banned"] == 0
    assert sum(bar.count for bar in oversight.bars) == 3
    # First year: the earlier of announced and started; every year between shows, empty or not.
    assert counts(chart("year", stats.charts)) == {
        "2017": 1,
        "2018": 0,
        "2019": 1,
        "2020": 0,
        "2021": 1,
    }


def test_every_filter_and_the_words_are_honoured(session: Session, catalog: None) -> None:
    serbia = search_statistics(session=session, params=params(("country", "RS")))
    assert serbia.total == 2
    assert counts(chart("country", serbia.charts)) == {"Serbia": 2}
    assert counts(chart("vendor", serbia.charts)) == {"Huawei": 2, "Hikvision": 1}

    # Filtering by a parent capability includes its children, as the search does.
    analytics = search_statistics(session=session, params=params(("capability", "video_analytics")))
    assert analytics.total == 2

    words = search_statistics(session=session, params=params(("q", "yerevan")))
    assert words.total == 1
    assert counts(chart("country", words.charts)) == {"Armenia": 1}
    assert chart("vendor", words.charts).bars == []

    years = search_statistics(session=session, params=params(("year_from", "2020")))
    assert years.total == 3  # none has ended, so all are active from 2020 on
    to_2018 = search_statistics(session=session, params=params(("year_to", "2018")))
    assert counts(chart("year", to_2018.charts)) == {"2017": 1}

    oversight = search_statistics(session=session, params=params(("oversight", "none_known")))
    assert counts(chart("oversight", oversight.charts))["None known"] == 1
    assert sum(bar.count for bar in chart("oversight", oversight.charts).bars) == 1


def test_an_unknown_vendor_is_explained_and_left_out(session: Session, catalog: None) -> None:
    stats = search_statistics(session=session, params=SearchParams(vendor=("nobody",)))

    assert "vendor" in stats.errors and "nobody" in stats.errors["vendor"]
    assert stats.params.vendor == ()
    assert stats.total == 3


def test_countries_past_the_top_twenty_are_one_bar(session: Session) -> None:
    codes = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT".split()  # noqa: SIM905
    assert len(codes) == TOP_COUNTRIES + 2
    for index, code in enumerate(codes):
        make_deployment(session, f"Record {code}", country=code)
        if index < 3:  # three countries with a second record lead the chart
            make_deployment(session, f"Second record {code}", country=code)

    country = chart("country", search_statistics(session=session, params=SearchParams()).charts)

    assert len(country.bars) == TOP_COUNTRIES + 1
    assert [bar.count for bar in country.bars[:3]] == [2, 2, 2]
    other = country.bars[-1]
    assert other.key == "" and other.label == "Other countries (2)" and other.count == 2
    assert sum(bar.count for bar in country.bars) == len(codes) + 3


def test_a_long_span_of_years_is_grouped(session: Session) -> None:
    make_deployment(session, "Old", started_on="1951")
    make_deployment(session, "New", started_on="2024")
    make_deployment(session, "Undated")

    year = chart("year", search_statistics(session=session, params=SearchParams()).charts)

    assert year.bars[0].label == "1950–1954" and year.bars[0].count == 1
    assert year.bars[-2].label == "2020–2024" and year.bars[-2].count == 1
    assert year.bars[-1].label == "Year not known" and year.bars[-1].count == 1
    assert len(year.bars) <= 41
    assert "spans of 5 years" in year.note


def test_the_map_list_groups_by_country_and_says_when_it_is_cut(
    session: Session, catalog: None
) -> None:
    places = places_by_country(session=session, params=SearchParams())

    assert [g.name for g in places.groups] == ["Armenia", "Serbia"]
    serbia = places.groups[1]
    assert [(p.title, p.city, p.located) for p in serbia.places] == [
        ("Belgrade Safe City", "Belgrade", True),
        ("Novi Sad face recognition", "Novi Sad", False),
    ]
    assert (places.total, places.listed, places.located, places.capped) == (3, 3, 1, False)

    cut = places_by_country(session=session, params=SearchParams(), limit=2)
    assert (cut.total, cut.listed, cut.capped) == (3, 2, True)

    filtered = places_by_country(session=session, params=params(("vendor", "huawei")))
    assert [g.name for g in filtered.groups] == ["Serbia"]
    assert filtered.total == 2
