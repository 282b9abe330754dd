"""/submit, /deployments/{id}/suggest, /receipt and /evidence over HTTP: plain forms that keep
what was typed, htmx fragments, the receipt shown once, and limits that refuse politely."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from evidence_images import assert_no_metadata, jpeg_with_metadata, png_with_metadata
from factories import make_deployment
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.models import EvidenceImage, Submission, SubmissionContact
from app.services.images import evidence_file

HTMX = {"HX-Request": "true"}
VALID = {
    "title": "Licence-plate readers on the Gazela bridge",
    "country": "RS",
    "city": "Belgrade",
    "summary": "Twelve ALPR cameras were mounted on the bridge in spring.",
    "status": "operational",
    "source_1_url": "https://example.org/gazela",
    "source_1_title": "Cameras on Gazela",
    "source_1_source_type": "news",
}


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # No minimum fill-in time here: tests never wait. test_too_fast sets its own.
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, secret_key="test-secret",
        submission_min_seconds=0,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    from app.main import create_app

    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, client=("198.51.100.10", 40000)) as test_client:
        yield test_client


def hidden_fields(client: TestClient, path: str = "/submit") -> dict[str, str]:
    page = soup(client.get(path).text)
    form = page.select_one("form#submission-form, form.receipt-form")
    assert form is not None
    return {i["name"]: i["value"] for i in form.select("input[type=hidden]")}


NO_FILE = {"image_1": ("", b"", "application/octet-stream")}


def post(
    client: TestClient,
    data: dict[str, Any],
    *,
    path: str = "/submit",
    files: dict[str, tuple[str, bytes, str]] | None = None,
) -> Any:
    """Send a form as a browser does: the hidden fields of a fresh page, then what was typed.
    The submission forms are multipart even with no file chosen; the receipt form is not."""
    form = {**hidden_fields(client, path), **data}
    if path == "/receipt":
        return client.post(path, data=form)
    return client.post(path, data=form, files=files or NO_FILE)


def submissions(session: Session) -> list[Submission]:
    session.expire_all()
    return list(session.exec(select(Submission)).all())


def receipt_code(response: Any) -> str:
    code = soup(response.text).select_one("#receipt-code")
    assert code is not None, response.text[:2000]
    return code.get_text(strip=True)


# --- the full page ----------------------------------------------------------------------------


def test_form_page_is_a_plain_labelled_multipart_form(client: TestClient) -> None:
    response = client.get("/submit")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]
    page = soup(response.text)
    form = page.select_one("form#submission-form")
    assert form is not None
    assert (form["action"], form["method"], form["enctype"]) == (
        "/submit", "post", "multipart/form-data",
    )
    assert form.select_one("input[type=hidden][name=csrf_token]") is not None
    assert form.select_one("input[type=hidden][name=form_rendered]") is not None
    for field in form.select("input:not([type=hidden]), select, textarea"):
        assert page.select_one(f'label[for="{field["id"]}"]') is not None, field
    legends = [legend.get_text(" ", strip=True) for legend in form.select("fieldset > legend")]
    assert {"What and where", "Sources", "Photos (optional)", "Contact (optional)"} <= set(legends)
    # Vocabulary pickers: lifecycle status, capabilities, kinds of source, countries.
    assert form.select_one("select#status option[value=operational]") is not None
    assert form.select_one("input[type=checkbox][name=capabilities][value=alpr]") is not None
    assert form.select_one("select#source_1_source_type option[value=foi_response]") is not None
    assert form.select_one("select#country option[value=RS]").get_text() == "Serbia"
    # Hints are tied to their fields.
    assert "title-hint" in form.select_one("#title")["aria-describedby"]
    # The honeypot is hidden from people and from screen readers, and out of the tab order.
    trap = form.select_one(".hp-field")
    assert trap is not None and trap["aria-hidden"] == "true"
    assert trap.select_one("input")["tabindex"] == "-1"


def test_form_says_what_becomes_public_and_how_to_stay_safer(client: TestClient) -> None:
    box = soup(client.get("/submit").text).select_one(".safety-box")
    assert box is not None
    headings = [h.get_text(strip=True) for h in box.select("h3")]
    assert headings == [
        "What becomes public", "What stays private", "What we never keep", "How to stay safer",
    ]
    text = box.get_text(" ", strip=True)
    for phrase in ("IP address", "erased", "Tor Browser", "location (GPS)", "never published"):
        assert phrase in text


def test_form_page_as_an_htmx_fragment(client: TestClient) -> None:
    response = client.get("/submit", headers=HTMX)

    assert response.status_code == 200
    page = soup(response.text)
    assert page.select_one("html") is None
    assert page.select_one("form#submission-form") is not None


def test_pages_load_nothing_from_elsewhere(client: TestClient, session: Session) -> None:
    record = make_deployment(session, "Some record")
    for path in ("/submit", f"/deployments/{record.id}/suggest", "/receipt"):
        page = soup(client.get(path).text)
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
            for element in page.select(f"{tag}[{attr}]"):
                assert element[attr].startswith(("/", "data:")), element
        assert page.select("[style]") == [] and page.select("script:not([src])") == []


# --- errors keep everything the person typed ---------------------------------------------------


def test_errors_rerender_with_422_each_next_to_its_field_and_nothing_lost(
    client: TestClient, session: Session
) -> None:
    typed = {
        "title": "Cameras <b>near</b> the “Ušće” tower",
        "summary": "",
        "country": "",
        "started_on": "spring 2021",
        "vendors": "Huawei\nDahua",
        "contact": "a@b.example",
        "source_1_url": "not a url",
        "capabilities": ["alpr", "cctv"],
    }
    response = post(client, typed)

    assert response.status_code == 422
    assert submissions(session) == []
    page = soup(response.text)
    form = page.select_one("form#submission-form")
    assert form.select_one("#title")["value"] == "Cameras <b>near</b> the “Ušće” tower"
    assert "<b>near</b>" not in response.text  # escaped, not markup
    assert form.select_one("#vendors").get_text() == "Huawei\nDahua"
    assert form.select_one("#contact").get_text() == "a@b.example"
    assert form.select_one("#started_on")["value"] == "spring 2021"
    assert form.select_one("#source_1_url")["value"] == "not a url"
    checked = {i["value"] for i in form.select("input[name=capabilities][checked]")}
    assert checked == {"alpr", "cctv"}
    for name in ("summary", "country", "started_on", "source_1_url"):
        wrapper = form.select_one(f"#field-{name}")
        error = wrapper.select_one(f"#{name}-error")
        assert error is not None and error.get_text(strip=True), name
        control = wrapper.select_one(f"#{name}")
        assert f"{name}-error" in control["aria-describedby"] and control["aria-invalid"] == "true"
    summary_links = [a["href"] for a in page.select(".error-summary a")]
    assert "#country" in summary_links and "#source_1_url" in summary_links
    assert form.select_one("#title").get("aria-invalid") is None


def test_missing_source_and_photo_is_explained_at_the_sources(client: TestClient) -> None:
    data = {k: v for k, v in VALID.items() if not k.startswith("source_")}
    response = post(client, data)

    assert response.status_code == 422
    error = soup(response.text).select_one("#field-sources #sources-error")
    assert error is not None and "at least one source" in error.get_text()


def test_honeypot_filled_is_refused(client: TestClient, session: Session) -> None:
    response = post(client, {**VALID, "website_url": "http://spam.example"})

    assert response.status_code == 422
    assert submissions(session) == []
    assert soup(response.text).select_one("#title")["value"] == VALID["title"]


def test_a_form_sent_back_too_fast_is_refused_with_input_kept(
    settings: Settings, engine: Engine, session: Session
) -> None:
    from app.main import create_app

    slow = settings.model_copy(update={"submission_min_seconds": 600})
    with TestClient(create_app(slow, engine=engine)) as fast_client:
        response = post(fast_client, VALID)

    assert response.status_code == 422
    assert "faster than a person" in soup(response.text).select_one(".error-summary").get_text()
    assert soup(response.text).select_one("#summary").get_text() == VALID["summary"]
    assert submissions(session) == []


def test_a_forged_or_missing_render_time_is_refused(client: TestClient, session: Session) -> None:
    response = post(client, {**VALID, "form_rendered": "1.abc"})
    assert response.status_code == 422
    assert submissions(session) == []


def test_without_the_csrf_token_nothing_is_saved(client: TestClient, session: Session) -> None:
    response = client.post(
        "/submit", data={**VALID, "form_rendered": hidden_fields(client)["form_rendered"]},
        files=NO_FILE,
    )
    assert response.status_code == 403
    assert submissions(session) == []


def test_an_oversized_form_is_refused_before_it_is_read(client: TestClient) -> None:
    big = b"\xff\xd8" + b"0" * (40 * 1024 * 1024)
    response = post(client, VALID, files={"image_1": ("big.jpg", big, "image/jpeg")})
    assert response.status_code == 413


# --- success and the receipt ------------------------------------------------------------------


def test_success_shows_the_receipt_code_once_and_saves_only_its_hash(
    client: TestClient, session: Session
) -> None:
    response = post(client, {**VALID, "contact": "signal @tipster", "capabilities": ["alpr"]})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    code = receipt_code(response)
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", code)
    page = soup(response.text)
    assert page.select_one("button[data-copy=receipt-code][hidden]") is not None
    assert page.select_one('script[src$="js/copy.js"]') is not None
    assert "shown only this once" in page.get_text(" ")
    [saved] = submissions(session)
    assert saved.kind == "new_deployment" and saved.state == "pending"
    assert saved.proposed["capabilities"] == ["alpr"]
    assert code not in str(saved.model_dump())
    contact = session.get(SubmissionContact, saved.id)
    assert contact is not None and contact.contact == "signal @tipster"
    # Asking again shows no code: it exists only in that one response.
    assert soup(client.get("/receipt").text).select_one("#receipt-code") is None


def test_receipt_lookup_shows_the_state_and_note_and_nothing_else(
    client: TestClient, session: Session
) -> None:
    code = receipt_code(post(client, {**VALID, "contact": "keep-me-secret@example.org"}))
    [saved] = submissions(session)
    saved.state, saved.decision_note = "accepted", "Thanks — published with a second source."
    session.add(saved)
    session.commit()

    lookup_page = soup(client.get("/receipt").text)
    form = lookup_page.select_one("form.receipt-form")
    assert (form["method"], form["action"]) == ("post", "/receipt")  # the code stays out of URLs
    response = post(client, {"code": code.lower()}, path="/receipt")

    assert response.status_code == 200
    status = soup(response.text).select_one(".receipt-status")
    assert status.select_one(".state").get_text() == "Accepted"
    assert "published with a second source" in status.get_text()
    text = response.text
    for secret in (VALID["title"], VALID["summary"], "keep-me-secret", VALID["source_1_url"]):
        assert secret not in text
    assert code not in text and code.lower() not in soup(text).select_one("#code")["value"]


@pytest.mark.parametrize(("typed", "message"), [("", "Enter the receipt code"),
                                                 ("ABCD-EFGH", "No submission has this code"),
                                                 ("ABCD-EFGH-JKMN-PQRS-TVWX", "No submission")])
def test_receipt_lookup_errors_are_422_beside_the_field(
    client: TestClient, typed: str, message: str
) -> None:
    response = post(client, {"code": typed}, path="/receipt")

    assert response.status_code == 422
    field = soup(response.text).select_one("#field-code")
    assert message in field.select_one("#code-error").get_text()
    assert field.select_one("#code")["value"] == typed
    assert soup(response.text).select_one(".receipt-status") is None


# --- rate limits ------------------------------------------------------------------------------


def limited_app(settings: Settings, engine: Engine, **limits: int) -> FastAPI:
    from app.main import create_app

    return create_app(settings.model_copy(update=limits), engine=engine)


def test_rate_limit_per_client_address(
    settings: Settings, engine: Engine, session: Session
) -> None:
    app = limited_app(settings, engine, submissions_per_hour_per_client=2)
    with TestClient(app, client=("203.0.113.1", 1)) as first, \
            TestClient(app, client=("203.0.113.2", 1)) as second:
        assert [post(first, VALID).status_code for _ in range(2)] == [200, 200]
        refused = post(first, VALID)
        assert post(second, VALID).status_code == 200

    assert refused.status_code == 429
    page = soup(refused.text)
    assert "from your connection" in page.select_one(".error-summary").get_text()
    assert page.select_one("#title")["value"] == VALID["title"]
    assert len(submissions(session)) == 3


def forged_posts(app: FastAPI, connection: str) -> list[int]:
    """Three submissions from one connection, each claiming another X-Forwarded-For."""
    statuses = []
    for n in range(3):
        forged = {"X-Forwarded-For": f"198.51.100.{n}"}
        with TestClient(app, client=(connection, 1), headers=forged) as client:
            statuses.append(post(client, VALID).status_code)
    return statuses


def test_behind_a_trusted_proxy_each_forwarded_visitor_has_their_own_limit(
    settings: Settings, engine: Engine, session: Session
) -> None:
    # Written with host bits set, as an operator might: it must still match the whole network.
    proxies = Settings(trusted_proxies="10.9.9.9/8").trusted_proxies
    assert proxies == "10.0.0.0/8"
    app = limited_app(
        settings.model_copy(update={"trusted_proxies": proxies}),
        engine,
        submissions_per_hour_per_client=2,
    )

    def via_proxy(forwarded: str) -> TestClient:
        return TestClient(app, client=("10.0.0.2", 1), headers={"X-Forwarded-For": forwarded})

    with via_proxy("203.0.113.1") as first, via_proxy("203.0.113.2") as second:
        assert [post(first, VALID).status_code for _ in range(2)] == [200, 200]
        assert post(second, VALID).status_code == 200
    # What a visitor writes into the header themselves stays on its left: the proxy appends
    # the address it saw, and that one counts.
    with via_proxy("6.6.6.6, 203.0.113.1") as forged:
        assert post(forged, VALID).status_code == 429
    # Someone who is not the proxy cannot pick an address by sending the header.
    assert forged_posts(app, "192.0.2.7") == [200, 200, 429]
    assert len(submissions(session)) == 5


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    settings: Settings, engine: Engine, session: Session
) -> None:
    app = limited_app(settings, engine, submissions_per_hour_per_client=2)
    assert forged_posts(app, "10.0.0.2") == [200, 200, 429]


def test_global_cap_on_new_submissions(
    settings: Settings, engine: Engine, session: Session
) -> None:
    app = limited_app(settings, engine, submissions_per_hour_global=3)
    statuses = []
    for n in range(5):
        with TestClient(app, client=(f"203.0.113.{10 + n}", 1)) as c:
            statuses.append(post(c, VALID).status_code)

    assert statuses == [200, 200, 200, 429, 429]
    assert len(submissions(session)) == 3


# --- photos -----------------------------------------------------------------------------------


def test_photos_are_stored_re_encoded_without_metadata(
    client: TestClient, session: Session, settings: Settings
) -> None:
    response = post(
        client,
        {**VALID, "image_1_caption": "The gantry", "image_2_caption": "Close-up"},
        files={
            "image_1": ("holiday.jpg", jpeg_with_metadata(), "image/jpeg"),
            "image_2": ("picture.jpg", png_with_metadata(), "image/jpeg"),  # a PNG named .jpg
        },
    )

    assert response.status_code == 200, response.text[:3000]
    images = sorted(session.exec(select(EvidenceImage)).all(), key=lambda i: i.id or 0)
    assert [(i.content_type, i.caption) for i in images] == [
        ("image/jpeg", "The gantry"), ("image/png", "Close-up"),
    ]
    for image in images:
        assert "holiday" not in image.file_name and "picture" not in image.file_name
        assert_no_metadata(evidence_file(data_dir=settings.data_dir, image=image).read_bytes())


def test_a_non_image_is_refused_beside_its_field_and_the_rest_kept(
    client: TestClient, session: Session
) -> None:
    response = post(
        client, {**VALID, "image_1_caption": "Gate"},
        files={"image_1": ("photo.jpg", b"MZ\x90\x00 not an image", "image/jpeg")},
    )

    assert response.status_code == 422
    page = soup(response.text)
    assert "not a readable JPEG" in page.select_one("#field-image_1 #image_1-error").get_text()
    assert "choose them again" in page.select_one("#photos-error").get_text()
    assert page.select_one("#image_1_caption")["value"] == "Gate"
    assert submissions(session) == []
    assert session.exec(select(EvidenceImage)).all() == []


def test_only_images_of_published_records_are_served(
    client: TestClient, session: Session, settings: Settings
) -> None:
    post(client, VALID, files={"image_1": ("a.jpg", jpeg_with_metadata(), "image/jpeg")})
    image = session.exec(select(EvidenceImage)).one()

    # Still under review: for staff only.
    assert client.get(f"/evidence/{image.file_name}").status_code == 404

    record = make_deployment(session, "Gazela ALPR")
    image.deployment_id = record.id
    session.add(image)
    session.commit()
    response = client.get(f"/evidence/{image.file_name}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "max-age" in response.headers["Cache-Control"]
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert_no_metadata(response.content)
    for bad in ("nothing.jpg", "..%2Fsecret_key", "%2E%2E"):
        assert client.get(f"/evidence/{bad}").status_code == 404


# --- corrections and new sources ---------------------------------------------------------


def test_suggest_a_correction_for_a_record(client: TestClient, session: Session) -> None:
    record = make_deployment(session, "Belgrade Safe City")
    path = f"/deployments/{record.id}/suggest"
    record_page = soup(client.get(f"/deployments/{record.id}-{record.slug}").text)
    assert record_page.select_one(f'.suggest-link a[href="{path}"]') is not None

    page = soup(client.get(path).text)
    assert "Belgrade Safe City" in page.select_one("h1 + p").get_text()
    assert page.select_one("form#submission-form")["action"] == path
    assert page.select_one("#kind-correction[checked]") is not None

    missing_note = post(client, {"kind": "correction", "source_1_title": "Minutes"}, path=path)
    assert missing_note.status_code == 422
    assert soup(missing_note.text).select_one("#field-note #note-error") is not None
    assert soup(missing_note.text).select_one("#source_1_title")["value"] == "Minutes"

    ok = post(client, {"kind": "new_source", "source_1_url": "https://example.org/m"}, path=path)
    assert ok.status_code == 200 and receipt_code(ok)
    [saved] = submissions(session)
    assert (saved.kind, saved.target_deployment_id) == ("new_source", record.id)


@pytest.mark.parametrize("number", ["999999", "9" * 25])  # beyond 64 bits SQLite cannot bind
def test_suggest_for_an_unknown_record_is_404(client: TestClient, number: str) -> None:
    assert client.get(f"/deployments/{number}/suggest").status_code == 404
    fields = hidden_fields(client)
    response = client.post(
        f"/deployments/{number}/suggest", data={**fields, "kind": "correction"},
        files={"image_1": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 404


# --- htmx: inline checks and similar records ----------------------------------------------


def check(client: TestClient, name: str, data: dict[str, str]) -> Any:
    # htmx sends the enclosing form, CSRF token included (and the token as a header too).
    return client.post(
        "/submit/check", data={"csrf_token": hidden_fields(client)["csrf_token"], **data},
        headers={**HTMX, "HX-Trigger-Name": name, "HX-Target": f"field-{name}"},
    )


def test_inline_check_fills_in_one_fields_message(client: TestClient) -> None:
    page = soup(client.get("/submit").text)
    started = page.select_one("#started_on")
    assert started["hx-post"] == "/submit/check" and started["hx-target"] == "#started_on-error"
    assert started["hx-swap"] == "outerHTML"
    assert page.select_one("form#submission-form")["hx-params"].startswith("not image_1")
    # The message is always there to be filled in, and the field always points at it.
    empty = page.select_one("#field-started_on #started_on-error")
    assert empty.has_attr("hidden") and empty.get_text() == ""
    assert "started_on-error" in started["aria-describedby"]

    bad = check(client, "started_on", {"started_on": "last year", "title": ""})
    assert bad.status_code == 200
    fragment = soup(bad.text)
    assert fragment.select_one("html") is None and fragment.select_one("form") is None
    # Only the message comes back: never the control, which the person may be typing in again.
    [message] = fragment.select("p")
    assert message["id"] == "started_on-error" and not message.has_attr("hidden")
    assert "Enter a year" in message.get_text()
    assert fragment.select("input, textarea, select") == []
    # Only the field being checked gets a message, though the title is empty too.
    assert fragment.select_one("#title-error") is None

    good = soup(check(client, "started_on", {"started_on": "2021-05"}).text)
    [message] = good.select("p")
    assert message["id"] == "started_on-error"
    assert message.has_attr("hidden") and message.get_text() == ""


def test_inline_check_of_a_source_field_and_of_unknown_names(client: TestClient) -> None:
    bad = soup(check(client, "source_2_url", {"source_2_url": "ftp://x"}).text)
    assert "http://" in bad.select_one("p#source_2_url-error").get_text()
    assert check(client, "csrf_token", {}).status_code == 204
    token = hidden_fields(client)["csrf_token"]
    plain = client.post("/submit/check", data={"title": "x", "csrf_token": token},
                        follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["Location"] == "/submit"


def test_similar_published_records_hint(client: TestClient, session: Session) -> None:
    record = make_deployment(session, "Huawei Safe City Belgrade", country="RS", city="Belgrade")
    make_deployment(session, "Drone wall", country="PL")

    page = soup(client.get("/submit").text)
    hint = page.select_one("#similar-records")
    assert hint["hx-post"] == "/submit/similar" and hint["hx-params"] == "title,country,city"
    assert "from:#submission-form target:#title" in hint["hx-trigger"]

    # hx-params leaves the token out of the body; app/static/js/csrf.js sends it as a header.
    htmx = {**HTMX, "X-CSRF-Token": hidden_fields(client)["csrf_token"]}
    response = client.post(
        "/submit/similar", data={"title": "cameras in belgrade", "country": "RS"}, headers=htmx
    )
    assert response.status_code == 200
    fragment = soup(response.text)
    assert fragment.select_one("html") is None
    links = fragment.select(".similar-list a")
    assert [a.get_text() for a in links] == ["Huawei Safe City Belgrade"]
    assert links[0]["href"].startswith(f"/deployments/{record.id}")

    nothing = client.post("/submit/similar", data={"title": "zzzz qqqq"}, headers=htmx)
    assert soup(nothing.text).select(".similar-list") == []

    # Without JavaScript the same hint appears when the form comes back with errors.
    again = post(client, {"title": "cameras in belgrade", "country": "RS"})
    assert again.status_code == 422
    assert soup(again.text).select_one("#similar-records .similar-list a") is not None
