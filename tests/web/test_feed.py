"""/deployments.atom: valid Atom (read by a real feed parser), newest changes first, any search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from factories import make_deployment, make_vendor
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Deployment


@pytest.fixture
def records(session: Session) -> list[Deployment]:
    huawei = make_vendor(session, "Huawei & Sons <Ltd>")
    now = datetime.now(UTC)
    old = make_deployment(
        session,
        "Old <b>record</b> & more",
        country="RS",
        summary="Cameras \x01 with a control character & <markup>.",
        vendors=[(huawei, "prime")],
        capabilities=["cctv"],
        updated_at=now - timedelta(days=2),
    )
    new = make_deployment(session, "Fresh record", country="HU", updated_at=now)
    return [old, new]


def parse(client: TestClient, path: str) -> feedparser.FeedParserDict:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_feed_is_valid_atom_with_escaped_text(
    client: TestClient, records: list[Deployment]
) -> None:
    feed = parse(client, "/deployments.atom")
    assert feed.feed.title == "Safe City Watch: all deployments"
    assert feed.feed.id == "http://testserver/deployments.atom"
    self_link = next(link for link in feed.feed.links if link.rel == "self")
    assert self_link.href == "http://testserver/deployments.atom"
    assert [e.title for e in feed.entries] == ["Fresh record", "Old <b>record</b> & more"]
    old = feed.entries[1]
    assert old.id == f"http://testserver/deployments/{records[0].id}"
    assert old.link == f"http://testserver/deployments/{records[0].id}-old-b-record-b-more"
    assert "Huawei & Sons <Ltd>" in old.summary
    assert "\x01" not in old.summary
    assert [t.term for t in old.tags] == ["cctv"]
    assert old.updated_parsed is not None and old.published_parsed is not None
    assert feed.feed.updated == feed.entries[0].updated


def test_feed_follows_the_search(client: TestClient, records: list[Deployment]) -> None:
    feed = parse(client, "/deployments.atom?country=RS&q=record&page=3")
    assert [e.title for e in feed.entries] == ["Old <b>record</b> & more"]
    assert feed.feed.title == "Safe City Watch: “record”; country RS"
    assert feed.feed.id == "http://testserver/deployments.atom?q=record&country=RS"
    alternate = next(link for link in feed.feed.links if link.rel == "alternate")
    assert alternate.href == "http://testserver/deployments?q=record&country=RS"


def test_empty_feed_is_still_valid(client: TestClient) -> None:
    feed = parse(client, "/deployments.atom?q=nothing")
    assert feed.entries == []
