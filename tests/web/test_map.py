"""/map: a list of the search's records by country, and a map only with a tile server."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment, make_vendor
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.security import CONTENT_SECURITY_POLICY, policy_allowing_images_from
from app.web.overview import tile_origin

TILES = "https://tiles.example.org/{z}/{x}/{y}.png"


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
def catalog(session: Session) -> None:
    huawei = make_vendor(session, "Huawei", slug="huawei")
    make_deployment(
        session,
        "Belgrade Safe City",
        country="RS",
        city="Belgrade",
        latitude=44.8,
        longitude=20.46,
        vendors=[(huawei, "prime")],
    )
    make_deployment(session, "Novi Sad <b>cameras</b>", country="RS", city="Novi Sad")
    make_deployment(session, "Yerevan plate readers", country="AM")


@pytest.fixture
def tiled_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    from app.main import create_app

    tiled = settings.model_copy(
        update={"map_tiles": TILES, "map_attribution": "© Example <maps> contributors"}
    )
    with TestClient(create_app(tiled, engine=engine)) as test_client:
        yield test_client


def test_without_tiles_the_page_is_a_list_and_loads_no_map(
    client: TestClient, catalog: None
) -> None:
    response = client.get("/map")

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    page = soup(response.text)
    assert page.select_one("#map") is None
    scripts = [str(s["src"]) for s in page.select("script[src]")]
    assert not [src for src in scripts if "leaflet" in src or "map.js" in src]
    assert not [str(s["href"]) for s in page.select("link[href*=leaflet]")]
    groups = page.select("section.country-group")
    assert [g.h3.contents[0].strip() for g in groups] == ["Armenia", "Serbia"]  # type: ignore[union-attr]
    serbia = [a.get_text() for a in groups[1].select("li a")]
    assert serbia == ["Belgrade Safe City", "Novi Sad <b>cameras</b>"]  # escaped, shown as text
    assert groups[1].select_one("li a")["href"].startswith("/deployments/")  # type: ignore[index,union-attr]
    assert "3 records in 2 countries" in page.select_one(".result-status").get_text()  # type: ignore[union-attr]
    assert not page.select("[style]")


def test_with_tiles_the_map_is_configured_from_data_attributes(
    tiled_client: TestClient, catalog: None
) -> None:
    response = tiled_client.get("/map", params={"country": "RS"})

    assert response.status_code == 200
    # img-src gains the tile server's origin, on this page only.
    csp = response.headers["Content-Security-Policy"]
    assert csp == policy_allowing_images_from("https://tiles.example.org")
    assert "img-src 'self' data: https://tiles.example.org;" in csp
    assert tiled_client.get("/stats").headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    page = soup(response.text)
    panel = page.select_one("#map-panel")
    assert panel is not None and panel.has_attr("hidden")  # shown by map.js, never without it
    box = page.select_one("#map")
    assert box is not None
    assert box["data-tiles"] == TILES
    assert box["data-attribution"] == "© Example <maps> contributors"
    geojson = urlsplit(str(box["data-geojson"]))
    assert geojson.path == "/deployments.geojson"
    assert parse_qsl(geojson.query) == [("country", "RS")]
    scripts = [str(s["src"]) for s in page.select("script[src]")]
    for needed in ("leaflet-1.9.4/leaflet.js", "leaflet.markercluster.js", "js/map.js"):
        assert any(src.endswith(needed) for src in scripts), needed
    assert not page.select("script:not([src])")
    # The list stays, as the accessible alternative, and says which records are not on the map.
    items = page.select("section.country-group li")
    assert len(items) == 2
    assert "no position on the map" in items[1].get_text()
    assert "1 with a position on the map" in page.select_one(".result-status").get_text()  # type: ignore[union-attr]


def test_the_filters_are_honoured_and_a_bad_one_is_a_422(client: TestClient, catalog: None) -> None:
    filtered = soup(client.get("/map", params={"vendor": "huawei"}).text)
    assert [a.get_text() for a in filtered.select("section.country-group li a")] == [
        "Belgrade Safe City"
    ]
    chips = filtered.select(".active-filters-list a")
    assert [c.get_text(" ", strip=True).split(" ×")[0] for c in chips] == ["Vendor: Huawei"]
    assert urlsplit(str(chips[0]["href"])).path == "/map"

    response = client.get("/map", params=[("country", "RS"), ("country", "ZZ")])
    assert response.status_code == 422
    page = soup(response.text)
    assert "ZZ" in page.select_one(".error-summary").get_text()  # type: ignore[union-attr]
    # The usable part of the search still applies.
    assert [g["id"] for g in page.select("section.country-group")] == ["country-rs"]


def test_htmx_request_gets_the_main_content_only(client: TestClient, catalog: None) -> None:
    response = client.get("/map", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert soup(response.text).select("section.country-group")


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        (TILES, "https://tiles.example.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png?key=1", "http://127.0.0.1:8081"),
        ("", None),
        ("tiles.example.org/{z}/{x}/{y}.png", None),
        ("javascript:alert(1)//{z}/{x}/{y}", None),
        ("https://tiles.example.org/static.png", None),
        ("https://evil.example; script-src *//{z}/{x}/{y}", None),
    ],
)
def test_tile_origin(template: str, origin: str | None) -> None:
    assert tile_origin(template) == origin


def test_a_policy_never_takes_something_that_is_not_an_origin() -> None:
    with pytest.raises(ValueError):
        policy_allowing_images_from("https://x.example; script-src *")
