"""Security headers on every response; no inline script or style, nothing from another origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment, make_source, make_vendor
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.security import CONTENT_SECURITY_POLICY

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def assert_security_headers(headers: object) -> None:
    get = headers.get  # type: ignore[attr-defined]
    assert get("Content-Security-Policy") == EXPECTED_CSP
    assert "unsafe-inline" not in get("Content-Security-Policy")
    assert get("X-Content-Type-Options") == "nosniff"
    assert get("Referrer-Policy") == "no-referrer"
    assert get("X-Frame-Options") == "DENY"
    permissions = get("Permissions-Policy")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions
    assert get("Cross-Origin-Opener-Policy") == "same-origin"


def test_policy_constant_is_the_documented_one() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP


@pytest.fixture
def record_paths(session: Session) -> list[str]:
    vendor = make_vendor(session, "Huawei", country="CN")
    source = make_source(
        session, "Article", url="https://example.org/a", archived_url="https://archive.example/a"
    )
    deployment = make_deployment(
        session,
        "Belgrade Safe City",
        vendors=[(vendor, "prime")],
        capabilities=["cctv"],
        sources=[source],
    )
    return [f"/deployments/{deployment.id}-{deployment.slug}", "/vendors/huawei"]


PAGES = [
    "/",
    "/deployments",
    "/deployments?q=camera&country=RS",
    "/deployments?year_from=abcd",
    "/vendors",
    "/countries/RS",
    "/capabilities/video_analytics",
    "/about",
    "/no-such-page",
    "/deployments/123456",
]


def test_every_page_has_the_security_headers(client: TestClient, record_paths: list[str]) -> None:
    for path in [*PAGES, *record_paths]:
        response = client.get(path)
        assert response.status_code in (200, 404, 422), path
        assert_security_headers(response.headers)


def test_static_files_and_redirects_have_the_security_headers(
    client: TestClient, record_paths: list[str]
) -> None:
    assert_security_headers(client.get("/static/css/site.css").headers)
    redirect = client.get(record_paths[0] + "-wrong", follow_redirects=False)
    assert redirect.status_code == 301
    assert_security_headers(redirect.headers)


def test_pages_have_no_inline_script_or_style_and_nothing_from_elsewhere(
    client: TestClient, record_paths: list[str]
) -> None:
    for path in [*PAGES, *record_paths]:
        response = client.get(path)
        page = BeautifulSoup(response.text, "html.parser")
        for script in page.find_all("script"):
            assert script.get("src"), f"inline script on {path}"
            assert not script.string, f"inline script on {path}"
        assert not page.find_all("style"), path
        assert not page.select("[style]"), path
        for element in page.find_all(True):
            handlers = [name for name in element.attrs if name.lower().startswith("on")]
            assert not handlers, f"{element.name} has {handlers} on {path}"
        # Resources the browser loads by itself must come from our own origin.
        for element, attribute in (
            *((e, "src") for e in page.select("[src]")),
            *((e, "href") for e in page.select("link[href]")),
        ):
            value = element[attribute]
            # The canonical address and the feed (alternate) are links, not loaded.
            if element.name == "link" and element.get("rel") in (["canonical"], ["alternate"]):
                continue
            assert not urlsplit(value).netloc, f"{value} loaded from another origin on {path}"
            assert value.startswith(("/static/", "data:")), value


def test_htmx_is_configured_for_a_strict_policy(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/").text, "html.parser")
    config = page.select_one('meta[name="htmx-config"]')
    assert config is not None
    import json

    settings = json.loads(config["content"])
    assert settings["includeIndicatorStyles"] is False
    assert settings["allowEval"] is False
    assert settings["allowScriptTags"] is False
    script = page.select_one("script[src]")
    assert script is not None
    served = client.get(script["src"])
    assert served.status_code == 200
    assert "htmx" in served.text[:2000]
