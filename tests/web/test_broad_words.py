"""Words too broad to rank: listed newest first, said so, and the same order everywhere.

Ranking scores every record the words match; beyond search_filters.RANK_LIMIT matches a search
is listed newest first with a note (BENCHMARKS.md, "Broad words"). The limit is lowered here so
a handful of records can cross it; the search page, the API and the exports must agree on the
order, and a search that stays under the limit is still ranked.
"""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment
from fastapi.testclient import TestClient
from sqlmodel import Session

from app import search_index
from app.services import search_filters
from app.services.search import SearchParams, search

search_index.install()

LIMIT = 3


@pytest.fixture
def catalog(session: Session, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """Five records with "cameras" (one says it three times in its title, so it would rank
    first) and three with "drone" (the oldest of which says it three times)."""
    monkeypatch.setattr(search_filters, "RANK_LIMIT", LIMIT)
    cameras = [
        make_deployment(session, "Cameras cameras cameras").id,
        make_deployment(session, "Street cameras in Novi Sad", summary="A long summary " * 20).id,
        make_deployment(session, "Metro cameras").id,
        make_deployment(session, "River cameras").id,
        make_deployment(session, "Square cameras and drone").id,
    ]
    drones = [
        make_deployment(session, "Drone drone drone").id,
        make_deployment(session, "Border drone").id,
    ]
    return {
        "cameras": [i for i in cameras if i is not None],
        "drone": [i for i in drones if i is not None] + [i for i in cameras[-1:] if i is not None],
    }


def test_broad_words_are_listed_newest_first_on_both_search_paths(
    session: Session, catalog: dict[str, list[int]]
) -> None:
    for use_bitmaps in (True, False):
        result = search(session=session, params=SearchParams(q="cameras"), use_bitmaps=use_bitmaps)
        assert result.sort == "newest"
        assert [card.id for card in result.cards] == sorted(catalog["cameras"], reverse=True)
        assert any("5 records, too many to rank by relevance" in note for note in result.notes)
        # Asking for relevance by name changes nothing: the words cannot be ranked.
        asked = search(
            session=session,
            params=SearchParams(q="cameras", sort="relevance"),
            use_bitmaps=use_bitmaps,
        )
        assert asked.sort == "newest"
        assert asked.cards == result.cards


def test_words_under_the_limit_are_still_ranked(
    session: Session, catalog: dict[str, list[int]]
) -> None:
    for use_bitmaps in (True, False):
        result = search(session=session, params=SearchParams(q="drone"), use_bitmaps=use_bitmaps)
        assert result.sort == "relevance"
        assert result.notes == []
        assert {card.id for card in result.cards} == set(catalog["drone"])
        # Ranked, not newest first: the older record that says "drone" three times leads.
        assert [card.title for card in result.cards][:2] == ["Drone drone drone", "Border drone"]


def test_filters_do_not_make_broad_words_rankable(
    session: Session, catalog: dict[str, list[int]]
) -> None:
    """The limit counts what the words match: ranking costs that much whatever the filters or
    excluded words, and the note says what it counted."""
    for params, total in (
        (SearchParams(q="cameras -drone"), 4),
        (SearchParams(q="cameras", country=("HU",)), 0),
    ):
        for use_bitmaps in (True, False):
            result = search(session=session, params=params, use_bitmaps=use_bitmaps)
            assert result.total == total
            assert result.sort == "newest"
            assert any("words on their own match 5 records" in note for note in result.notes)


def test_search_page_api_and_exports_agree_on_the_order(
    client: TestClient, catalog: dict[str, list[int]]
) -> None:
    newest_first = sorted(catalog["cameras"], reverse=True)

    page = client.get("/deployments", params={"q": "cameras"})
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    notes = soup.select_one("ul.notes")
    assert notes is not None
    assert "too many to rank by relevance" in notes.get_text()

    api = client.get("/api/v1/deployments", params={"q": "cameras"})
    assert api.status_code == 200
    body = api.json()
    assert body["query"]["sort"] == "newest"
    assert [item["id"] for item in body["items"]] == newest_first
    assert any("too many to rank" in note for note in body["notes"])

    as_json = client.get("/deployments.json", params={"q": "cameras", "sort": "relevance"}).json()
    assert as_json["query"]["sort"] == "relevance"  # what was asked
    assert as_json["order"] == "newest"  # what it got
    assert [record["id"] for record in as_json["deployments"]] == newest_first

    exported = client.get("/deployments.csv", params={"q": "cameras"})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8"))))
    assert [int(row["id"]) for row in rows] == newest_first

    ranked = client.get("/api/v1/deployments", params={"q": "drone"}).json()
    assert ranked["query"]["sort"] == "relevance"
    assert ranked["items"][0]["title"] == "Drone drone drone"
    assert client.get("/deployments.geojson", params={"q": "drone"}).json()["metadata"][
        "order"
    ] == ("relevance")
    ranked_csv = client.get("/deployments.csv", params={"q": "drone"})
    ranked_rows = list(csv.DictReader(io.StringIO(ranked_csv.content.decode("utf-8"))))
    assert [int(row["id"]) for row in ranked_rows] == [item["id"] for item in ranked["items"]]


def test_a_newer_archived_record_that_matches_does_not_break_ranking(
    session: Session, catalog: dict[str, list[int]]
) -> None:
    """The full-text index holds archived records too; one newer than every published record
    lies beyond the search's bitmaps (it once raised IndexError)."""
    for n in range(10):  # ids past the bitmaps' last byte
        make_deployment(session, f"Drone drone drone drone {n}", state="archived")
    for use_bitmaps in (True, False):
        result = search(session=session, params=SearchParams(q="drone"), use_bitmaps=use_bitmaps)
        assert result.sort == "relevance"
        assert {card.id for card in result.cards} == set(catalog["drone"])
