"""Error pages: HTML in the site's layout with a way back to search, never a bare 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.config import Settings
from app.main import create_app


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    app = create_app(settings, engine=engine)

    def boom() -> None:
        raise RuntimeError("kaboom")

    def needs_number(n: int = Query()) -> dict[str, int]:
        return {"n": n}

    app.add_api_route("/boom", boom)
    app.add_api_route("/needs-number", needs_number)
    app.add_api_route("/api/v1/needs-number", needs_number)
    return app


@pytest.fixture
def lenient_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def assert_error_page(response: object, status: int) -> BeautifulSoup:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    page = soup(response.text)  # type: ignore[attr-defined]
    assert page.select_one("header.site-header") is not None
    assert page.select_one('main form[action="/deployments"]') is not None
    assert page.select_one('main a[href="/deployments"]') is not None
    return page


def test_404_page(client: TestClient) -> None:
    page = assert_error_page(client.get("/nowhere"), 404)
    assert page.select_one("h1").get_text() == "Page not found"
    assert page.title.get_text().startswith("Page not found")


def test_404_fragment_lands_in_main(client: TestClient) -> None:
    response = client.get("/nowhere", headers={"HX-Request": "true", "HX-Target": "search-results"})
    assert response.status_code == 404
    assert "<html" not in response.text
    assert response.headers["HX-Retarget"] == "#main"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert soup(response.text).select_one("h1").get_text() == "Page not found"


def test_non_numeric_record_is_a_404_page(client: TestClient) -> None:
    assert_error_page(client.get("/deployments/abc"), 404)


def test_method_not_allowed_is_an_html_page(client: TestClient) -> None:
    response = client.post("/deployments")
    assert_error_page(response, 405)


def test_validation_errors_are_html_pages(lenient_client: TestClient) -> None:
    page = assert_error_page(lenient_client.get("/needs-number?n=abc"), 422)
    assert "cannot read" in page.select_one("main").get_text()


def test_api_errors_stay_json(lenient_client: TestClient) -> None:
    # Problem documents (RFC 9457); tests/web/test_api.py checks their contents.
    response = lenient_client.get("/api/v1/needs-number?n=abc")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    missing = lenient_client.get("/api/v1/nothing")
    assert missing.headers["content-type"] == "application/problem+json"


def test_500_page_with_security_headers(lenient_client: TestClient) -> None:
    response = lenient_client.get("/boom")
    page = assert_error_page(response, 500)
    assert page.select_one("h1").get_text() == "Something went wrong"
    assert "kaboom" not in response.text
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
