"""Moderation: the queue, claims, duplicate candidates and every decision."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from factories import make_deployment, make_source, make_vendor
from moderation_data import make_staff, make_submission, proposed_deployment
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import search_index
from app.models import (
    AuditEntry,
    Deployment,
    DeploymentSource,
    EvidenceImage,
    Revision,
    Submission,
    SubmissionContact,
)
from app.models.base import utcnow
from app.services import moderation
from app.services.drafts import parse_deployment_form, proposal_form
from app.services.search import SearchParams, search

# The full-text index follows every commit once the session hooks are installed.
search_index.install()


def contact_of(session: Session, submission: Submission) -> SubmissionContact | None:
    return session.get(SubmissionContact, submission.id)


def draft_from(submission: Submission, **extra: str):  # type: ignore[no-untyped-def]
    items = [item for item in proposal_form(submission.proposed) if item[0] not in extra]
    items += list(extra.items())
    draft, errors = parse_deployment_form(items, with_sources=True)
    assert errors == {}
    return draft


# --- claims -------------------------------------------------------------------------------------


def test_a_claim_keeps_other_moderators_out_until_it_expires(session: Session) -> None:
    ana, boris = make_staff(session, "Ana"), make_staff(session, "Boris")
    submission = make_submission(session)
    start = utcnow()
    moderation.claim(session=session, submission=submission, moderator=ana, now=start)
    assert (submission.state, submission.claimed_by_id) == ("in_review", ana.id)
    with pytest.raises(moderation.ClaimedByOther, match="Ana"):
        moderation.claim(session=session, submission=submission, moderator=boris,
                         now=start + timedelta(minutes=29))
    # Boris cannot decide it either while Ana holds it.
    with pytest.raises(moderation.ClaimedByOther):
        moderation.mark_spam(session=session, submission=submission, reviewer=boris,
                             now=start + timedelta(minutes=29))
    # Ana may renew her own claim.
    moderation.claim(session=session, submission=submission, moderator=ana,
                     now=start + timedelta(minutes=10))
    with pytest.raises(moderation.ClaimedByOther):
        moderation.claim(session=session, submission=submission, moderator=boris,
                         now=start + timedelta(minutes=39))
    moderation.claim(session=session, submission=submission, moderator=boris,
                     now=start + timedelta(minutes=41))
    assert submission.claimed_by_id == boris.id


def test_release_only_by_the_holder(session: Session) -> None:
    ana, boris = make_staff(session, "Ana"), make_staff(session, "Boris")
    submission = make_submission(session)
    moderation.claim(session=session, submission=submission, moderator=ana)
    assert moderation.release(session=session, submission=submission, moderator=boris) is False
    assert submission.claimed_by_id == ana.id
    assert moderation.release(session=session, submission=submission, moderator=ana) is True
    assert (submission.state, submission.claimed_by_id) == ("pending", None)


def test_two_moderators_claiming_at_once_get_exactly_one_claim(
    session: Session, engine: Engine
) -> None:
    moderators = [make_staff(session, "Ana"), make_staff(session, "Boris")]
    submission = make_submission(session)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(index: int) -> None:
        with Session(engine) as own:
            mine = own.get(Submission, submission.id)
            me = own.get(type(moderators[0]), moderators[index].id)
            assert mine is not None and me is not None
            barrier.wait()
            try:
                moderation.claim(session=own, submission=mine, moderator=me)
                outcomes.append("claimed")
            except moderation.ClaimedByOther:
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["claimed", "refused"]
    session.refresh(submission)
    assert submission.claimed_by_id in {m.id for m in moderators}


# --- the queue ----------------------------------------------------------------------------------


def test_queue_is_oldest_first_with_counts_filters_and_pages(session: Session) -> None:
    ana = make_staff(session, "Ana")
    now = utcnow()
    old = make_submission(session, received_at=now - timedelta(hours=5))
    french = make_submission(session, proposed=proposed_deployment(country="FR", title="Nice"),
                             received_at=now - timedelta(hours=3))
    target = make_deployment(session, "Target", country="AL", sources=[make_source(session)])
    correction = make_submission(session, kind="correction", target_deployment_id=target.id,
                                 proposed={"note": "Wrong year", "sources": []},
                                 received_at=now - timedelta(hours=1))
    decided = make_submission(session, received_at=now - timedelta(hours=9))
    moderation.mark_spam(session=session, submission=decided, reviewer=ana)
    moderation.claim(session=session, submission=french, moderator=ana)
    session.add(EvidenceImage(submission_id=old.id, file_name="q.jpg", content_type="image/jpeg",
                              sha256="0" * 64, size=1, width=1, height=1))
    session.commit()

    page = moderation.list_queue(session=session, filters=moderation.QueueFilters())
    assert [item.submission.id for item in page.items] == [old.id, french.id, correction.id]
    assert page.counts == {"pending": 2, "in_review": 1, "accepted": 0, "merged": 0,
                           "rejected": 0, "spam": 1}
    assert page.items[1].claimed_by == "Ana"
    assert (page.items[2].target_title, page.items[2].country) == ("Target", "AL")
    assert [item.images for item in page.items] == [1, 0, 0]
    assert moderation.waiting_count(session=session) == 3

    by_country = moderation.list_queue(
        session=session, filters=moderation.QueueFilters(country="AL"))
    assert [i.submission.id for i in by_country.items] == [correction.id]
    by_kind = moderation.list_queue(
        session=session, filters=moderation.QueueFilters(kind="new_deployment", state="all"))
    assert [i.submission.id for i in by_kind.items] == [decided.id, old.id, french.id]
    spam = moderation.list_queue(session=session, filters=moderation.QueueFilters(state="spam"))
    assert [i.submission.id for i in spam.items] == [decided.id]
    second = moderation.list_queue(
        session=session, filters=moderation.QueueFilters(page=2), per_page=2)
    assert (second.pages, [i.submission.id for i in second.items]) == (2, [correction.id])


def test_queue_filters_are_checked() -> None:
    filters, errors = moderation.parse_queue_filters(
        [("state", "bogus"), ("kind", "x"), ("country", "Serbia"), ("page", "-1")])
    assert filters == moderation.QueueFilters()
    assert set(errors) == {"state", "kind", "country", "page"}


# --- duplicates ---------------------------------------------------------------------------------


def test_duplicate_candidates_are_ranked_with_reasons_and_differences(session: Session) -> None:
    huawei = make_vendor(session, "Huawei")
    best = make_deployment(
        session, "Face recognition cameras Novi Sad", country="RS", city="Novi Sad",
        vendors=[(huawei, "prime")], announced_on="2020", camera_count=30,
        sources=[make_source(session)],
    )
    same_vendor = make_deployment(session, "Safe City Belgrade", country="RS", city="Belgrade",
                                  vendors=[(huawei, "prime")], sources=[make_source(session)])
    abroad = make_deployment(session, "Face recognition cameras in Nice", country="FR",
                             sources=[make_source(session)])
    make_deployment(session, "Drone programme", country="RS", sources=[make_source(session)])
    make_deployment(session, "Unrelated thing", country="DE", sources=[make_source(session)])
    submission = make_submission(session)

    candidates = moderation.duplicate_candidates(session=session, submission=submission)
    ids = [c.deployment.id for c in candidates]
    assert ids[:3] == [best.id, same_vendor.id, abroad.id]
    assert len(ids) == 3  # the same country alone does not make a candidate
    top = candidates[0]
    assert "Same city: Novi Sad" in top.reasons
    assert "Shared vendor: Huawei" in top.reasons
    assert any(r.startswith("Similar title") for r in top.reasons)
    assert "Dates a year apart" in top.reasons
    differences = {d.field: d for d in top.differences}
    assert differences["city"].same
    assert not differences["camera_count"].same
    assert (differences["camera_count"].current, differences["camera_count"].proposed) == (
        "30", "40")
    assert [s.text for s in differences["title"].segments if s.op == "insert"] == ["in "]
    assert differences["capabilities"].new_items == ["CCTV cameras", "Face recognition"]


def test_the_record_a_correction_is_about_comes_first(session: Session) -> None:
    target = make_deployment(session, "Target", country="AL", sources=[make_source(session)])
    make_deployment(session, "Other", country="AL", sources=[make_source(session)])
    submission = make_submission(session, kind="correction", target_deployment_id=target.id,
                                 proposed={"note": "The year is wrong.", "sources": []})
    candidates = moderation.duplicate_candidates(session=session, submission=submission)
    assert [c.deployment.id for c in candidates] == [target.id]
    assert candidates[0].reasons[0] == "The record this submission is about"


# --- decisions ----------------------------------------------------------------------------------


def test_publish_creates_the_record_revision_one_and_erases_the_contact(
    session: Session,
) -> None:
    ana = make_staff(session, "Ana")
    submission = make_submission(session)
    session.add(EvidenceImage(submission_id=submission.id, file_name="abc.jpg",
                              content_type="image/jpeg", sha256="0" * 64, size=1, width=1,
                              height=1))
    session.commit()
    draft = draft_from(submission, title="Face recognition at Novi Sad's Liberty Square")
    deployment = moderation.publish_submission(
        session=session, submission=submission, reviewer=ana, draft=draft)

    assert deployment.state == "published" and deployment.city == "Novi Sad"
    assert (submission.state, submission.deployment_id, submission.reviewer_id) == (
        "accepted", deployment.id, ana.id)
    assert submission.claimed_by_id is None and submission.decided_at is not None
    assert contact_of(session, submission) is None
    revision = session.exec(select(Revision).where(Revision.entity_id == deployment.id)).one()
    assert (revision.number, revision.actor_label, revision.summary) == (
        1, "Ana", f"Created from submission #{submission.id}")
    fields = {c["field"]: c["new"] for c in revision.changes}
    assert fields["vendors"] == ["Huawei (supplier)"]
    assert fields["capabilities"] == ["cctv", "face_recognition"]
    assert len(fields["sources"]) == 1
    image = session.exec(select(EvidenceImage)).one()
    assert image.deployment_id == deployment.id
    audit = session.exec(select(AuditEntry)).one()
    assert (audit.action, audit.target) == ("submission_accepted", f"submission {submission.id}")
    assert "Novi Sad" not in str(audit.detail)

    found = search(session=session, params=SearchParams(q="liberty square"))
    assert [card.id for card in found.cards] == [deployment.id]


def test_publish_needs_a_source_and_changes_nothing_without_one(session: Session) -> None:
    ana = make_staff(session)
    submission = make_submission(session, proposed=proposed_deployment(sources=[]))
    draft, errors = parse_deployment_form(proposal_form(submission.proposed), with_sources=True)
    assert "sources" in errors
    with pytest.raises(moderation.ModerationError, match="source"):
        moderation.publish_submission(session=session, submission=submission, reviewer=ana,
                                      draft=draft)
    session.refresh(submission)
    assert submission.state == "pending"
    assert contact_of(session, submission) is not None
    assert session.exec(select(Deployment)).all() == []


def test_only_new_deployments_can_be_published(session: Session) -> None:
    ana = make_staff(session)
    target = make_deployment(session, "Target", sources=[make_source(session)])
    submission = make_submission(session, kind="new_source", target_deployment_id=target.id,
                                 proposed={"note": None, "sources": []})
    with pytest.raises(moderation.ModerationError):
        moderation.publish_submission(session=session, submission=submission, reviewer=ana,
                                      draft=draft_from(make_submission(session)))


def test_merge_adds_new_sources_and_chosen_fields_as_the_submission(session: Session) -> None:
    ana = make_staff(session, "Ana")
    known = make_source(session, "Known", url="https://news.example/novi-sad")
    record = make_deployment(session, "Novi Sad cameras", city="Novi Sad", camera_count=30,
                             sources=[known])
    proposed = proposed_deployment(sources=[
        {"url": "https://news.example/novi-sad", "title": "Same article", "publisher": None,
         "published_on": None, "source_type": "news"},
        {"url": "https://dpa.example/opinion", "title": None, "publisher": "DPA",
         "published_on": "2022", "source_type": "government"},
    ])
    submission = make_submission(session, proposed=proposed)
    assert "camera_count" in moderation.mergeable_fields(submission)
    result = moderation.merge_submission(
        session=session, submission=submission, reviewer=ana, deployment=record,
        take=["camera_count", "vendors", "title-not-a-field"],
    )
    revision = result.revision
    assert revision is not None
    assert (revision.actor_label, revision.actor_id) == (f"submission #{submission.id}", None)
    assert revision.summary == f"Merged submission #{submission.id}"
    changes = {c["field"]: (c["old"], c["new"]) for c in revision.changes}
    assert changes["camera_count"] == (30, 40)
    assert changes["vendors"] == ([], ["Huawei (supplier)"])
    assert "title" not in changes and "capabilities" not in changes
    linked = session.exec(
        select(DeploymentSource).where(DeploymentSource.deployment_id == record.id)).all()
    assert len(linked) == 2  # the known article was not added twice
    assert changes["sources"][1][1].endswith("https://dpa.example/opinion")
    assert (submission.state, submission.deployment_id) == ("merged", record.id)
    assert contact_of(session, submission) is None


def test_merge_into_an_archived_record_is_refused(session: Session) -> None:
    ana = make_staff(session)
    record = make_deployment(session, "Old", state="archived", sources=[make_source(session)])
    submission = make_submission(session)
    with pytest.raises(moderation.ModerationError, match="published"):
        moderation.merge_submission(session=session, submission=submission, reviewer=ana,
                                    deployment=record)
    session.refresh(submission)
    assert submission.state == "pending" and contact_of(session, submission) is not None


def test_reject_needs_a_note_and_erases_the_contact(session: Session) -> None:
    ana = make_staff(session)
    submission = make_submission(session)
    with pytest.raises(moderation.ModerationError, match="note"):
        moderation.reject_submission(session=session, submission=submission, reviewer=ana,
                                     note="  ")
    assert contact_of(session, submission) is not None
    moderation.reject_submission(session=session, submission=submission, reviewer=ana,
                                 note="We could not confirm this.")
    assert (submission.state, submission.decision_note) == (
        "rejected", "We could not confirm this.")
    assert contact_of(session, submission) is None
    with pytest.raises(moderation.AlreadyDecided):
        moderation.mark_spam(session=session, submission=submission, reviewer=ana)


def test_spam_erases_the_contact(session: Session) -> None:
    ana = make_staff(session)
    submission = make_submission(session)
    moderation.mark_spam(session=session, submission=submission, reviewer=ana)
    assert submission.state == "spam" and contact_of(session, submission) is None
    assert session.exec(select(AuditEntry.action)).all() == ["submission_spam"]


def test_bulk_actions_skip_what_others_hold_or_decided(session: Session) -> None:
    ana, boris = make_staff(session, "Ana"), make_staff(session, "Boris")
    free = [make_submission(session) for _ in range(3)]
    held = make_submission(session)
    moderation.claim(session=session, submission=held, moderator=boris)
    done = make_submission(session)
    moderation.mark_spam(session=session, submission=done, reviewer=boris)
    ids = [s.id for s in [*free, held, done] if s.id is not None] + [999_999]

    with pytest.raises(moderation.ModerationError, match="note"):
        moderation.bulk_decide(session=session, ids=ids, reviewer=ana, action="reject")
    result = moderation.bulk_decide(session=session, ids=ids, reviewer=ana, action="reject",
                                    note="Not about surveillance.")
    assert result.done == [s.id for s in free]
    assert [i for i, _ in result.skipped] == [held.id, done.id, 999_999]
    for submission in free:
        session.refresh(submission)
        assert submission.state == "rejected"
        assert contact_of(session, submission) is None
    session.refresh(held)
    assert held.state == "in_review" and contact_of(session, held) is not None

    more = [make_submission(session) for _ in range(2)]
    spam = moderation.bulk_decide(session=session, ids=[s.id for s in more if s.id],
                                  reviewer=ana, action="spam")
    assert len(spam.done) == 2
    assert all(contact_of(session, s) is None for s in more)
