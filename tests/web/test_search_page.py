"""/deployments: the search form, facets, errors beside their fields, and its htmx fragment."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment, make_vendor
from fastapi.testclient import TestClient
from sqlmodel import Session

RESULTS = {"HX-Request": "true", "HX-Target": "search-results"}


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
def catalog(session: Session) -> None:
    huawei = make_vendor(session, "Huawei", slug="huawei", country="CN")
    hik = make_vendor(session, "Hikvision", slug="hikvision", country="CN")
    make_deployment(
        session,
        "Belgrade Safe City",
        country="RS",
        city="Belgrade",
        started_on="2019",
        vendors=[(huawei, "prime")],
        capabilities=["cctv", "tripwire"],
        status="operational",
    )
    make_deployment(
        session,
        "Yerevan cameras",
        country="AM",
        started_on="2021",
        vendors=[(hik, "supplier")],
        capabilities=["alpr"],
    )
    make_deployment(
        session,
        "Novi Sad face recognition",
        country="RS",
        started_on="2022",
        vendors=[(huawei, "supplier")],
        capabilities=["live_face_recognition"],
    )


def card_titles(page: BeautifulSoup) -> list[str]:
    return sorted(a.get_text(strip=True) for a in page.select(".cards .card-title a"))


def test_full_page_is_a_plain_get_form_with_facets(client: TestClient, catalog: None) -> None:
    response = client.get("/deployments")

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    page = soup(response.text)
    assert page.select_one("html") is not None
    form = page.select_one("form#search-form")
    assert form is not None
    assert (form["action"], form["method"]) == ("/deployments", "get")
    assert form["hx-get"] == "/deployments"
    assert form["hx-push-url"] == "true"
    assert "delay:300ms" in form["hx-trigger"] and "change" in form["hx-trigger"]
    assert page.select_one('label[for="q"]') is not None
    assert form.select('button[type="submit"]')
    # Every input is labelled; every facet group is a fieldset with a legend.
    for field in form.select("input:not([type=hidden]), select"):
        assert page.select_one(f'label[for="{field["id"]}"]') is not None, field
    legends = [f.legend.get_text(strip=True) for f in form.select("fieldset.facet[id^=facet-]")]
    assert legends == [
        "Country",
        "Vendor",
        "Capability",
        "Lifecycle status",
        "Oversight",
        "Verification",
    ]
    status = page.select_one("#result-status")
    assert status is not None and status["role"] == "status"
    assert "3 records" in status.get_text()
    assert card_titles(page) == [
        "Belgrade Safe City",
        "Novi Sad face recognition",
        "Yerevan cameras",
    ]
    serbia = page.select_one("#f-country-RS")
    assert serbia is not None and not serbia.has_attr("checked")
    assert "2" in page.select_one('label[for="f-country-RS"]').get_text()


def test_filters_narrow_the_results_and_show_as_removable(
    client: TestClient, catalog: None
) -> None:
    response = client.get("/deployments?country=RS&vendor=huawei&capability=video_analytics")

    assert response.status_code == 200
    page = soup(response.text)
    assert card_titles(page) == ["Belgrade Safe City"]
    assert page.select_one("#f-country-RS").has_attr("checked")
    assert page.select_one("#f-vendor-huawei").has_attr("checked")
    chips = {a.get_text(" ", strip=True): a["href"] for a in page.select(".active-filters a")}
    remove_vendor = next(
        href for label, href in chips.items() if label.startswith("Vendor: Huawei")
    )
    assert dict(parse_qsl(urlsplit(remove_vendor).query)) == {
        "country": "RS",
        "capability": "video_analytics",
    }


def test_results_fragment_for_the_search_form(client: TestClient, catalog: None) -> None:
    response = client.get("/deployments?q=belgrade&sort=", headers=RESULTS)

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "HX-Target" in response.headers["Vary"]
    assert "<html" not in response.text
    fragment = soup(response.text)
    assert fragment.select_one("#search-form") is None
    assert fragment.select_one("h1") is None
    assert fragment.select_one("#search-results") is not None
    status = fragment.select_one("#result-status")
    assert status is not None and status["hx-swap-oob"] == "innerHTML"
    assert card_titles(fragment) == ["Belgrade Safe City"]
    assert fragment.title.get_text() == "“belgrade” – Search deployments · Safe City Watch"
    # The address bar follows, in the tidy form of the search.
    assert response.headers["HX-Push-Url"] == "/deployments?q=belgrade"


def test_other_htmx_requests_get_the_main_content(client: TestClient, catalog: None) -> None:
    response = client.get("/deployments", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    fragment = soup(response.text)
    assert fragment.select_one("h1") is not None
    assert fragment.select_one("form#search-form") is not None
    assert fragment.select_one("#result-status").get("hx-swap-oob") is None


def test_history_restore_gets_the_whole_page(client: TestClient, catalog: None) -> None:
    headers = {**RESULTS, "HX-History-Restore-Request": "true"}
    response = client.get("/deployments", headers=headers)
    assert response.status_code == 200
    assert soup(response.text).select_one("html") is not None


def test_bad_filters_are_explained_beside_their_fields(client: TestClient, catalog: None) -> None:
    response = client.get("/deployments?q=camera&country=XX&year_from=20x5&vendor=nobody")

    assert response.status_code == 422
    page = soup(response.text)
    # The form is kept, with what was typed.
    assert page.select_one("form#search-form") is not None
    assert page.select_one("#q")["value"] == "camera"
    year = page.select_one("#year_from")
    assert year["value"] == "20x5"
    assert year["aria-invalid"] == "true"
    assert "year_from-error" in year["aria-describedby"].split()
    assert "four digits" in page.select_one("#year_from-error").get_text()
    for facet in ("country", "vendor"):
        fieldset = page.select_one(f"#facet-{facet}")
        assert fieldset["aria-describedby"] == f"{facet}-error"
        assert page.select_one(f"#{facet}-error") is not None
    assert "nobody" in page.select_one("#vendor-error").get_text()
    summary_links = [a["href"] for a in page.select(".error-summary a")]
    assert {"#year_from", "#facet-country", "#facet-vendor"} <= set(summary_links)


def test_bad_filters_in_the_fragment(client: TestClient, catalog: None) -> None:
    response = client.get("/deployments?year_to=tomorrow", headers=RESULTS)

    assert response.status_code == 422
    assert "<html" not in response.text
    fragment = soup(response.text)
    assert fragment.select_one("#year_to")["aria-invalid"] == "true"
    assert fragment.select_one("#year_to-error") is not None
    assert response.headers["HX-Push-Url"] == "false"


def test_query_notes_and_did_you_mean(client: TestClient, catalog: None) -> None:
    response = client.get('/deployments?q="belgrade')
    page = soup(response.text)
    assert response.status_code == 200
    assert "quotation mark" in page.select_one(".notes").get_text()

    response = client.get("/deployments?q=belgrad")
    page = soup(response.text)
    suggestion = page.select_one(".suggestion a")
    assert suggestion is not None
    assert suggestion.get_text(strip=True) == "belgrade"
    assert dict(parse_qsl(urlsplit(suggestion["href"]).query)) == {"q": "belgrade"}


def test_empty_results_get_a_helpful_message(client: TestClient, catalog: None) -> None:
    response = client.get("/deployments?q=zeppelin&country=AM")

    assert response.status_code == 200
    page = soup(response.text)
    assert page.select(".cards .card") == []
    empty = page.select_one(".empty")
    assert empty is not None and "No records match" in empty.get_text()
    words_only = [a["href"] for a in empty.select("a") if "these words" in a.get_text()]
    assert words_only == ["/deployments?q=zeppelin"]


def test_pagination_links_work_with_and_without_javascript(
    client: TestClient, session: Session
) -> None:
    for number in range(25):
        make_deployment(session, f"Record {number:02d}", country="RS")

    first = soup(client.get("/deployments?sort=title").text)
    assert "25 records" in first.select_one("#result-status").get_text()
    assert len(first.select(".cards .card")) == 20
    next_link = first.select_one('.pagination a[rel="next"]')
    assert next_link["href"] == "/deployments?sort=title&page=2"
    assert next_link["hx-get"] == next_link["href"]

    second = client.get(next_link["href"], headers=RESULTS)
    assert second.status_code == 200
    page = soup(second.text)
    assert card_titles(page) == [f"Record {n}" for n in range(20, 25)]
    assert page.select_one('.pagination [aria-current="page"]').get_text() == "2"

    past_end = soup(client.get("/deployments?page=9").text)
    assert "past the end" in past_end.select_one(".empty").get_text()


def test_titles_are_escaped_in_results(client: TestClient, session: Session) -> None:
    make_deployment(session, "<script>alert(1)</script> cameras", country="RS")

    response = client.get("/deployments?q=cameras")

    assert "<script>alert(1)</script>" not in response.text
    page = soup(response.text)
    assert card_titles(page) == ["<script>alert(1)</script> cameras"]
    assert all(script.get("src") for script in page.find_all("script"))
