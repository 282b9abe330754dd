"""/moderation and the staff edit pages through HTTP: queue, review, decisions, edits."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from factories import make_deployment, make_oversight_event, make_source, make_vendor
from fastapi.testclient import TestClient
from html_forms import as_data, form_fields, replaced
from moderation_data import make_submission, proposed_deployment
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from staff import login, make_user

from app.models import Deployment, Revision, Submission, SubmissionContact, User
from app.services import moderation


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture
def moderator(session: Session, client: TestClient) -> User:
    user = make_user(session, display_name="Ana Moderator")
    login(client, user.email)
    return user


def post_form(client: TestClient, html: str, selector: str, **values: str) -> Any:
    action, items = form_fields(html, selector)
    return client.post(action, data=as_data(replaced(items, **values)), follow_redirects=False)


def claimed_review(client: TestClient, submission_id: int | None) -> str:
    page = client.get(f"/moderation/{submission_id}")
    response = post_form(client, page.text, "#claim form")
    assert response.status_code == 303
    return client.get(f"/moderation/{submission_id}").text


# --- the queue ----------------------------------------------------------------------------------


def test_queue_lists_waiting_submissions_oldest_first_with_counts(
    client: TestClient, session: Session, moderator: User
) -> None:
    older = make_submission(session, proposed=proposed_deployment(title="Older tip"))
    newer = make_submission(session, proposed=proposed_deployment(title="Newer tip",
                                                                  country="FR"))
    ana = session.get(User, moderator.id)
    assert ana is not None
    moderation.mark_spam(session=session, submission=make_submission(session), reviewer=ana)

    page = client.get("/moderation")
    assert page.status_code == 200
    html = soup(page.text)
    rows = html.select("table.queue tbody tr")
    assert [r.select("td")[2].a.text for r in rows] == ["Older tip", "Newer tip"]
    assert html.select_one('.count[data-state="spam"]').text == "1"
    assert html.select_one('.count[data-state="pending"]').text == "2"
    assert html.select_one("#waiting-count").text.startswith("2")
    assert rows[0].select_one('input[name="ids"]')["value"] == str(older.id)

    filtered = client.get("/moderation", params={"country": "fr"})
    assert [a.text for a in soup(filtered.text).select("table.queue tbody td a")] == ["Newer tip"]
    assert newer.id is not None


def test_queue_filters_update_in_place_with_htmx(
    client: TestClient, session: Session, moderator: User
) -> None:
    make_submission(session, proposed=proposed_deployment(title="Serbian tip"))
    make_submission(session, proposed=proposed_deployment(title="French tip", country="FR"))
    response = client.get("/moderation", params={"country": "RS"},
                          headers={"HX-Request": "true", "HX-Target": "queue-results"})
    assert response.status_code == 200
    assert "<html" not in response.text
    fragment = soup(response.text)
    assert fragment.select_one("#queue-results") is not None
    assert [a.text for a in fragment.select("table.queue tbody td a")] == ["Serbian tip"]
    assert "HX-Request" in response.headers["Vary"]


def test_bad_queue_filters_are_explained(client: TestClient, moderator: User) -> None:
    response = client.get("/moderation", params={"state": "<x>", "country": "Serbia"})
    assert response.status_code == 200
    html = soup(response.text)
    assert html.select_one("#state-error") is not None
    assert html.select_one("#country-error") is not None


def test_bulk_reject_and_spam_from_the_queue(
    client: TestClient, session: Session, moderator: User
) -> None:
    tips = [make_submission(session) for _ in range(3)]
    page = client.get("/moderation")
    action, items = form_fields(page.text, "form.bulk-form")
    ticked = [(n, v) for n, v in items if n != "ids"]
    ticked += [("ids", str(tips[0].id)), ("ids", str(tips[1].id))]

    refused = client.post(action, data=as_data([*ticked, ("action", "reject")]))
    assert refused.status_code == 422
    assert "note" in soup(refused.text).select_one("#bulk-error").text

    done = client.post(action, data=as_data([*replaced(ticked, note="Out of scope."),
                                             ("action", "reject")]), follow_redirects=False)
    assert done.status_code == 303
    notice = soup(client.get(done.headers["location"]).text).select_one(".notice")
    assert notice is not None and notice.text.startswith("2 submissions rejected")
    for tip in tips[:2]:
        session.refresh(tip)
        assert (tip.state, tip.decision_note) == ("rejected", "Out of scope.")
        assert session.get(SubmissionContact, tip.id) is None

    page = client.get("/moderation")
    action, items = form_fields(page.text, "form.bulk-form")
    spam = client.post(action, data=as_data([*items, ("ids", str(tips[2].id)),
                                             ("action", "spam")]), follow_redirects=False)
    assert spam.status_code == 303
    session.refresh(tips[2])
    assert tips[2].state == "spam"


# --- the review screen --------------------------------------------------------------------------


def test_review_shows_the_submission_beside_ranked_candidates(
    client: TestClient, session: Session, moderator: User
) -> None:
    huawei = make_vendor(session, "Huawei")
    record = make_deployment(session, "Face recognition cameras Novi Sad", city="Novi Sad",
                             camera_count=30, vendors=[(huawei, "prime")],
                             sources=[make_source(session)])
    submission = make_submission(session, contact="signal: +381 555")
    page = client.get(f"/moderation/{submission.id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = soup(page.text)
    assert "signal: +381 555" in html.select_one(".contact").text
    candidate = html.select_one(".candidate")
    assert candidate.h3.a.text == f"Record {record.id}: Face recognition cameras Novi Sad"
    assert "Same city: Novi Sad" in candidate.select_one(".reasons").text
    cameras = next(tr for tr in candidate.select("tr") if tr.th and tr.th.text == "Cameras")
    assert [m.text for m in cameras.select("mark")] == ["30", "40"]
    title = next(tr for tr in candidate.select("tr") if tr.th and tr.th.text == "Title")
    assert [i.text for i in title.select("ins")] == ["in "]
    # Not claimed yet: a claim button, no decision forms.
    assert html.select_one("#claim button").text == "Claim"
    assert html.select_one("form.publish-form") is None


def test_unknown_submission_is_404(client: TestClient, moderator: User) -> None:
    assert client.get("/moderation/999999").status_code == 404
    assert client.get("/moderation/99999999999999999999999").status_code == 404


def test_a_second_moderator_sees_the_claim_and_cannot_take_it(
    client: TestClient, session: Session, engine: Engine, settings: Any, moderator: User
) -> None:
    submission = make_submission(session)
    claimed_review(client, submission.id)
    boris = make_user(session, display_name="Boris")
    from app.main import create_app

    with TestClient(create_app(settings, engine=engine)) as other:
        login(other, boris.email)
        page = other.get(f"/moderation/{submission.id}")
        assert "Ana Moderator" in soup(page.text).select_one("#claim").text
        assert soup(page.text).select_one("#claim form") is None
        token = soup(page.text).select_one('input[name="csrf_token"]')["value"]
        refused = other.post(f"/moderation/{submission.id}/claim", data={"csrf_token": token})
        assert refused.status_code == 409
        assert "Ana Moderator" in soup(refused.text).select_one("#review-message").text
        spam = other.post(f"/moderation/{submission.id}/spam", data={"csrf_token": token})
        assert spam.status_code == 409
    session.refresh(submission)
    assert submission.state == "in_review"


def test_publish_from_the_prefilled_form(
    client: TestClient, session: Session, moderator: User
) -> None:
    submission = make_submission(session)
    review = claimed_review(client, submission.id)
    form = soup(review).select_one("form.publish-form")
    assert form.select_one("#title")["value"] == "Face recognition cameras in Novi Sad"
    assert form.select_one("#source-0-url")["value"] == "https://news.example/novi-sad"
    response = post_form(client, review, "form.publish-form",
                         title="Face recognition on Liberty Square, Novi Sad")
    assert response.status_code == 303
    session.refresh(submission)
    assert submission.state == "accepted"
    assert response.headers["location"] == f"/deployments/{submission.deployment_id}/history"
    assert session.get(SubmissionContact, submission.id) is None
    history = soup(client.get(response.headers["location"]).text)
    assert history.select_one(".revision-summary").text == (
        f"Created from submission #{submission.id}")
    assert history.select_one(".actor").text == "Ana Moderator"
    found = soup(client.get("/deployments", params={"q": "liberty square"}).text)
    assert [a.text.strip() for a in found.select(".card-title a")] == [
        "Face recognition on Liberty Square, Novi Sad"]


def test_publish_refuses_bad_fields_and_keeps_what_was_typed(
    client: TestClient, session: Session, moderator: User
) -> None:
    submission = make_submission(session)
    review = claimed_review(client, submission.id)
    response = post_form(client, review, "form.publish-form", country="Atlantis",
                         source__0__title="", source__0__url="", source__0__publisher="",
                         source__0__published_on="")
    assert response.status_code == 422
    html = soup(response.text)
    assert html.select_one("#country-error") is not None
    assert html.select_one("#sources-error") is not None
    assert html.select_one("#country")["value"] == "Atlantis"
    assert html.select_one("#country")["aria-invalid"] == "true"
    session.refresh(submission)
    assert submission.state == "in_review"
    assert session.exec(select(Deployment)).all() == []


def test_merge_into_a_candidate_records_a_revision_by_the_submission(
    client: TestClient, session: Session, moderator: User
) -> None:
    record = make_deployment(session, "Novi Sad cameras", city="Novi Sad", camera_count=30,
                             sources=[make_source(session)])
    submission = make_submission(session)
    review = claimed_review(client, submission.id)
    link = soup(review).select_one(".candidate a[href*='merge']")["href"]
    merge_page = client.get(link)
    assert merge_page.status_code == 200
    boxes = {b["value"]: b.has_attr("checked")
             for b in soup(merge_page.text).select('input[name="take"]')}
    assert boxes["camera_count"] is False  # the record has a value: not taken unless ticked
    assert boxes["capabilities"] is True  # the record has none: taken by default
    action, items = form_fields(merge_page.text, "main form")
    response = client.post(action, data=as_data([*items, ("take", "camera_count")]),
                           follow_redirects=False)
    assert response.status_code == 303
    revision = session.exec(select(Revision).where(Revision.entity_id == record.id)).one()
    assert revision.actor_label == f"submission #{submission.id}"
    changed = {c["field"] for c in revision.changes}
    assert {"camera_count", "capabilities", "sources"} <= changed
    history = soup(client.get(response.headers["location"]).text)
    assert history.select_one(".actor").text == f"submission #{submission.id}"


def test_merge_needs_a_published_record(
    client: TestClient, session: Session, moderator: User
) -> None:
    submission = make_submission(session)
    claimed_review(client, submission.id)
    response = client.get(f"/moderation/{submission.id}/merge", params={"into": "abc"})
    assert response.status_code == 422
    assert soup(response.text).select_one("#into-error") is not None


def test_reject_needs_a_note_then_erases_the_contact(
    client: TestClient, session: Session, moderator: User
) -> None:
    submission = make_submission(session)
    review = claimed_review(client, submission.id)
    refused = post_form(client, review, "#reject form", note="")
    assert refused.status_code == 422
    assert soup(refused.text).select_one("#note-error") is not None
    done = post_form(client, review, "#reject form", note="No source confirms it.")
    assert done.status_code == 303 and done.headers["location"] == "/moderation"
    session.refresh(submission)
    assert (submission.state, submission.decision_note) == ("rejected", "No source confirms it.")
    assert session.get(SubmissionContact, submission.id) is None
    decided = soup(client.get(f"/moderation/{submission.id}").text)
    assert decided.select_one(".decide") is None
    assert "No source confirms it." in decided.select_one(".banner").text


def test_spam_and_release(client: TestClient, session: Session, moderator: User) -> None:
    kept = make_submission(session)
    review = claimed_review(client, kept.id)
    released = post_form(client, review, "#claim form[action$='release']")
    assert released.status_code == 303
    session.refresh(kept)
    assert (kept.state, kept.claimed_by_id) == ("pending", None)

    junk = make_submission(session)
    review = claimed_review(client, junk.id)
    assert post_form(client, review, "#spam form").status_code == 303
    session.refresh(junk)
    assert junk.state == "spam" and session.get(SubmissionContact, junk.id) is None


# --- staff edits --------------------------------------------------------------------------------


@pytest.fixture
def record(session: Session) -> Deployment:
    return make_deployment(
        session, "Belgrade cameras", summary="Cameras in the centre.", status="planned",
        sources=[make_source(session, "Article", url="https://news.example/a")],
    )


def test_edit_a_record_and_see_the_change_in_its_history(
    client: TestClient, session: Session, moderator: User, record: Deployment
) -> None:
    page = client.get(f"/staff/deployments/{record.id}/edit")
    assert page.status_code == 200
    response = post_form(client, page.text, "form.edit-form", status="operational",
                         summary="Cameras in the centre and at the port.",
                         edit_summary="Status from the 2023 audit")
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/deployments/{record.id}/edit?saved=1"
    history = soup(client.get(f"/deployments/{record.id}/history").text)
    revision = history.select_one(".revision")
    assert revision.select_one(".revision-summary").text == "Status from the 2023 audit"
    labels = [dt.text for dt in revision.select("dt")]
    assert labels == ["Summary", "Lifecycle status"]
    status = revision.select("dd")[1]
    assert (status.select_one("del").text.strip(), status.select_one("ins").text.strip()) == (
        "before: Planned", "after: Operational")
    assert [i.text.strip() for i in revision.select("dd")[0].select("ins")] == ["and at the port"]

    # The same form again (opened before that edit) is refused, not silently overwritten.
    stale = post_form(client, page.text, "form.edit-form", status="suspended")
    assert stale.status_code == 409
    assert "Someone else changed this record" in soup(stale.text).select_one("#edit-message").text

    invalid = post_form(client, client.get(f"/staff/deployments/{record.id}/edit").text,
                        "form.edit-form", title="", started_on="2019-13")
    assert invalid.status_code == 422
    assert soup(invalid.text).select_one("#started_on-error") is not None


def test_sources_are_added_edited_and_the_last_one_kept(
    client: TestClient, session: Session, moderator: User, record: Deployment
) -> None:
    hub = client.get(f"/staff/deployments/{record.id}/edit").text
    assert soup(hub).select_one("form[action$='/remove']") is None  # the only source
    source_id = session.exec(select(Revision)).all()  # no revision yet
    assert source_id == []
    new_page = client.get(f"/staff/deployments/{record.id}/sources/new")
    refused = post_form(client, new_page.text, "main form", url="not a url")
    assert refused.status_code == 422
    assert soup(refused.text).select_one("#title-error") is not None
    added = post_form(client, new_page.text, "main form", title="Ministry statement",
                      url="https://gov.example/statement", claim="the contract value")
    assert added.status_code == 303
    hub = soup(client.get(f"/staff/deployments/{record.id}/edit").text)
    edit_link = hub.select("ol.sources a")[0]["href"]
    edit_page = client.get(edit_link)
    assert soup(edit_page.text).select_one("#url")["value"] == "https://news.example/a"
    edited = post_form(client, edit_page.text, "main form", publisher="N1")
    assert edited.status_code == 303
    remove = hub.select_one("form[action$='/remove']")
    assert remove is not None
    removed = client.post(remove["action"],
                          data={"csrf_token": remove.select_one("input")["value"]},
                          follow_redirects=False)
    assert removed.status_code == 303
    summaries = [p.text for p in soup(client.get(f"/deployments/{record.id}/history").text)
                 .select(".revision-summary")]
    assert summaries[0].startswith("Removed source #")
    assert summaries[1].startswith("Edited source #")
    assert summaries[2] == "Added a source"


def test_oversight_events_are_added_edited_and_removed(
    client: TestClient, session: Session, moderator: User, record: Deployment
) -> None:
    page = client.get(f"/staff/deployments/{record.id}/events/new")
    refused = post_form(client, page.text, "main form", date="yesterday")
    assert refused.status_code == 422
    added = post_form(client, page.text, "main form", date="2022-03", kind="dpa_action",
                      body="Data protection authority", description="An inquiry was opened.",
                      oversight_status="challenged")
    assert added.status_code == 303
    session.refresh(record)
    assert record.oversight_status == "challenged"
    hub = soup(client.get(f"/staff/deployments/{record.id}/edit").text)
    edit_link = next(a["href"] for a in hub.select("a") if "/events/" in a["href"]
                     and a["href"].endswith("/edit"))
    edit_page = client.get(edit_link)
    assert post_form(client, edit_page.text, "main form",
                     outcome="Fine of 10,000 EUR").status_code == 303
    remove = next(f for f in soup(client.get(f"/staff/deployments/{record.id}/edit").text)
                  .select("form") if "/events/" in f["action"])
    assert client.post(remove["action"], data={"csrf_token": remove.input["value"]},
                       follow_redirects=False).status_code == 303
    summaries = [p.text for p in soup(client.get(f"/deployments/{record.id}/history").text)
                 .select(".revision-summary")]
    assert summaries[0].startswith("Removed oversight event")
    assert summaries[1].startswith("Edited oversight event")
    assert summaries[2] == "Added an oversight event"


def test_archive_with_a_public_reason_and_restore(
    client: TestClient, session: Session, moderator: User, record: Deployment
) -> None:
    page = client.get(f"/staff/deployments/{record.id}/archive")
    refused = post_form(client, page.text, "main form", reason="")
    assert refused.status_code == 422
    assert soup(refused.text).select_one("#reason-error") is not None
    archived = post_form(client, page.text, "main form", reason="Duplicate of record 12")
    assert archived.status_code == 303
    public = soup(client.get(f"/deployments/{record.id}").text)
    assert "Duplicate of record 12" in public.select_one(".banner-archived").text
    hub = client.get(f"/staff/deployments/{record.id}/edit").text
    restore = post_form(client, hub, "form[action$='/restore']")
    assert restore.status_code == 303
    session.refresh(record)
    assert (record.state, record.archived_reason) == ("published", None)


def test_record_lookup_and_unknown_records(
    client: TestClient, moderator: User, record: Deployment
) -> None:
    found = client.get("/staff/deployments", params={"id": f"#{record.id}"},
                       follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == f"/staff/deployments/{record.id}/edit"
    assert client.get("/staff/deployments", params={"id": "x"}).status_code == 404
    assert client.get("/staff/deployments/999999/edit").status_code == 404
    assert client.get(f"/staff/deployments/{record.id}/sources/999999/edit").status_code == 404
    assert client.get(f"/staff/deployments/{record.id}/events/999999/edit").status_code == 404


def test_submission_images_are_for_staff_only(
    client: TestClient, session: Session, moderator: User
) -> None:
    submission = make_submission(session)
    other = make_submission(session)
    assert isinstance(submission, Submission) and isinstance(other, Submission)
    assert client.get(f"/moderation/{other.id}/images/missing.jpg").status_code == 404
    client.cookies.clear()
    anonymous = client.get(f"/moderation/{submission.id}/images/x.jpg", follow_redirects=False)
    assert anonymous.status_code == 303


def test_staff_pages_render_as_htmx_fragments(
    client: TestClient, session: Session, moderator: User, record: Deployment
) -> None:
    submission = make_submission(session)
    event = make_oversight_event(session, record, kind="audit", description="An audit.")
    paths = [
        f"/moderation/{submission.id}",
        f"/moderation/{submission.id}/merge?into={record.id}",
        f"/staff/deployments/{record.id}/edit",
        f"/staff/deployments/{record.id}/sources/new",
        f"/staff/deployments/{record.id}/events/{event.id}/edit",
        f"/staff/deployments/{record.id}/archive",
    ]
    for path in paths:
        full = client.get(path)
        fragment = client.get(path, headers={"HX-Request": "true"})
        assert (full.status_code, fragment.status_code) == (200, 200), path
        assert "<html" in full.text and "<html" not in fragment.text, path
        assert soup(fragment.text).h1.text == soup(full.text).h1.text, path
