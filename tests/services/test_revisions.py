"""Revisions: numbering, diffs, snapshots of links, and every staff write path recording one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from factories import make_deployment, make_oversight_event, make_source, make_vendor
from moderation_data import make_staff
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import search_index
from app.models import AuditEntry, Deployment, Revision
from app.services import editing, revisions, source_edits
from app.services.drafts import parse_deployment_form, parse_event_form, parse_source_form
from app.services.revisions import diff, history, record_revision

# The full-text index follows every commit once the session hooks are installed.
search_index.install()


def edit_form(deployment: Deployment, **changes: str) -> list[tuple[str, str]]:
    fields = {
        "title": deployment.title,
        "summary": deployment.summary,
        "country": deployment.country,
        "status": deployment.status,
        **changes,
    }
    return list(fields.items())


def test_diff_lists_changed_fields_in_order_and_ignores_empty_versus_missing() -> None:
    before = {"title": "A", "city": None, "summary": "", "vendors": ["X (prime)"]}
    after = {"title": "B", "city": "", "vendors": ["X (prime)", "Y (supplier)"], "site": "Gate"}
    assert diff(before, after) == [
        {"field": "title", "old": "A", "new": "B"},
        {"field": "vendors", "old": ["X (prime)"], "new": ["X (prime)", "Y (supplier)"]},
        {"field": "site", "old": None, "new": "Gate"},
    ]
    assert diff(after, after) == []
    assert diff({}, {"title": "New"}) == [{"field": "title", "old": None, "new": "New"}]


def test_numbers_follow_on_per_record_and_a_number_cannot_be_reused(session: Session) -> None:
    staff = make_staff(session, "Ana")
    first = record_revision(
        session=session, entity="deployment", entity_id=7, actor=staff, summary="one", changes=[]
    )
    second = record_revision(
        session=session, entity="deployment", entity_id=7, actor="submission #3", summary="two",
        changes=[{"field": "title", "old": "a", "new": "b"}],
    )
    other = record_revision(
        session=session, entity="deployment", entity_id=8, actor=staff, summary="x", changes=[]
    )
    session.commit()
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert (first.actor_id, first.actor_label) == (staff.id, "Ana")
    assert (second.actor_id, second.actor_label) == (None, "submission #3")
    session.add(
        Revision(entity="deployment", entity_id=7, number=2, actor_label="x", summary="dup")
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_revisions_have_no_update_or_delete_path() -> None:
    """Append-only: the service writes with one function, and no code anywhere in the app
    updates or deletes revision rows."""
    public = {name for name in revisions.__all__ if callable(getattr(revisions, name))}
    writers = {name for name in public if not name.startswith(
        ("deployment_snapshot", "describe", "diff", "field_label", "history", "latest",
         "public_deployment", "word")
    ) and name[0].islower()}
    assert writers == {"record_revision"}
    app_dir = Path(revisions.__file__).resolve().parent.parent
    pattern = re.compile(r"(update|delete)\(\s*Revision\b|session\.delete\(\s*revision")
    offenders = [
        str(path) for path in app_dir.rglob("*.py") if pattern.search(path.read_text())
    ]
    assert offenders == []


def test_staff_edit_records_fields_and_link_changes(session: Session) -> None:
    staff = make_staff(session, "Ana")
    huawei = make_vendor(session, "Huawei")
    deployment = make_deployment(
        session, "Belgrade cameras", vendors=[(huawei, "prime")], sources=[make_source(session)],
        capabilities=["cctv"],
    )
    before_update = deployment.updated_at
    form = edit_form(deployment, title="Belgrade Safe City", city="Belgrade")
    form += [("vendor-0-name", "Huawei"), ("vendor-0-role", "prime"),
             ("vendor-1-name", "Hikvision"), ("vendor-1-role", "supplier"),
             ("capabilities", "cctv"), ("capabilities", "face_recognition")]
    draft, errors = parse_deployment_form(form, with_sources=False)
    assert errors == {}
    revision = editing.edit_deployment(
        session=session, deployment=deployment, editor=staff, draft=draft, summary="Add city"
    )
    assert revision is not None
    changes = {c["field"]: (c["old"], c["new"]) for c in revision.changes}
    assert changes["title"] == ("Belgrade cameras", "Belgrade Safe City")
    assert changes["city"] == (None, "Belgrade")
    assert changes["vendors"] == (["Huawei (prime)"], ["Hikvision (supplier)", "Huawei (prime)"])
    assert changes["capabilities"] == (["cctv"], ["cctv", "face_recognition"])
    assert "summary" not in changes
    assert revision.summary == "Add city" and revision.actor_label == "Ana"
    session.refresh(deployment)
    assert deployment.slug == "belgrade-safe-city"
    assert deployment.updated_at > before_update
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "edit_deployment")).one()
    assert audit.actor_id == staff.id and audit.target == f"deployment {deployment.id}"

    # The same form again changes nothing, so no revision is written.
    again, _ = parse_deployment_form(form, with_sources=False)
    assert editing.edit_deployment(
        session=session, deployment=deployment, editor=staff, draft=again
    ) is None


def test_an_edit_based_on_an_old_revision_is_refused(session: Session) -> None:
    staff = make_staff(session)
    deployment = make_deployment(session, "Record", sources=[make_source(session)])
    draft, _ = parse_deployment_form(edit_form(deployment, city="Nis"), with_sources=False)
    editing.edit_deployment(session=session, deployment=deployment, editor=staff, draft=draft,
                            expected_revision=0)
    stale, _ = parse_deployment_form(edit_form(deployment, city="Subotica"), with_sources=False)
    with pytest.raises(editing.StaleEdit):
        editing.edit_deployment(session=session, deployment=deployment, editor=staff,
                                draft=stale, expected_revision=0)
    session.refresh(deployment)
    assert deployment.city == "Nis"


def test_editing_a_shared_source_writes_a_revision_on_every_record_citing_it(
    session: Session,
) -> None:
    staff = make_staff(session)
    shared = make_source(session, "Shared report", url="https://ngo.example/report")
    first = make_deployment(session, "First", sources=[(shared, "cameras")])
    second = make_deployment(session, "Second", sources=[shared])
    draft, errors = parse_source_form([
        ("title", "Shared report (2nd edition)"), ("url", "https://ngo.example/report-2"),
        ("source_type", "ngo_report"), ("claim", "more than 100 cameras"),
    ])
    assert errors == {}
    written = source_edits.edit_source(
        session=session, deployment=first, source=shared, editor=staff, draft=draft
    )
    assert sorted(r.entity_id for r in written) == sorted([first.id, second.id])
    by_record = {r.entity_id: {c["field"]: c for c in r.changes} for r in written}
    first_changes = by_record[first.id]
    assert first_changes[f"source.{shared.id}.url"]["new"] == "https://ngo.example/report-2"
    assert first_changes[f"source.{shared.id}.claim"] == {
        "field": f"source.{shared.id}.claim", "old": "cameras", "new": "more than 100 cameras"
    }
    assert first_changes["sources"]["new"] == [f"#{shared.id} Shared report (2nd edition)"]
    # The claim belongs to the first record's link only.
    assert f"source.{shared.id}.claim" not in by_record[second.id]


def test_sources_can_be_added_and_removed_but_never_the_last_one(session: Session) -> None:
    staff = make_staff(session)
    only = make_source(session, "Only source")
    deployment = make_deployment(session, "Record", sources=[only])
    with pytest.raises(editing.EditError, match="only source"):
        source_edits.unlink_source(
            session=session, deployment=deployment, source=only, editor=staff
        )
    draft, _ = parse_source_form([("title", "Second source"), ("url", "https://b.example/")])
    added = source_edits.add_source(
        session=session, deployment=deployment, editor=staff, draft=draft
    )
    assert added is not None
    assert added.changes[0]["field"] == "sources"
    removed = source_edits.unlink_source(
        session=session, deployment=deployment, source=only, editor=staff
    )
    change = next(c for c in removed.changes if c["field"] == "sources")
    assert change["old"][0] == f"#{only.id} Only source"
    assert len(change["new"]) == 1 and change["new"][0].endswith("Second source")


def test_oversight_events_are_part_of_the_record_history(session: Session) -> None:
    staff = make_staff(session)
    source = make_source(session, "Court ruling")
    deployment = make_deployment(session, "Record", sources=[source])
    draft, errors = parse_event_form([
        ("date", "2022-03"), ("kind", "court_case"), ("body", "Constitutional Court"),
        ("description", "A case was filed."), ("source_ids", str(source.id)),
        ("oversight_status", "challenged"),
    ])
    assert errors == {}
    event, revision = source_edits.add_oversight_event(
        session=session, deployment=deployment, editor=staff, draft=draft
    )
    assert revision is not None
    fields = {c["field"]: c["new"] for c in revision.changes}
    assert fields["oversight_status"] == "challenged"
    assert fields["oversight_events"] == [f"#{event.id} Court case, 2022-03"]
    assert fields[f"oversight_event.{event.id}.sources"] == [f"#{source.id} Court ruling"]

    existing = make_oversight_event(session, deployment, kind="audit", description="Audit.")
    removed = source_edits.delete_oversight_event(
        session=session, deployment=deployment, event=existing, editor=staff
    )
    assert any(c["field"] == f"oversight_event.{existing.id}.description" and c["new"] is None
               for c in removed.changes)


def test_archive_and_restore_record_revisions_with_the_public_reason(session: Session) -> None:
    staff = make_staff(session, "Ana")
    deployment = make_deployment(session, "Record", sources=[make_source(session)])
    with pytest.raises(editing.EditError):
        editing.archive_deployment(session=session, deployment=deployment, editor=staff,
                                   reason="   ")
    revision = editing.archive_deployment(
        session=session, deployment=deployment, editor=staff, reason="Duplicate of record 12"
    )
    assert {c["field"]: c["new"] for c in revision.changes} == {
        "state": "archived", "archived_reason": "Duplicate of record 12"
    }
    assert revision.summary == "Archived: Duplicate of record 12"
    restored = editing.restore_deployment(session=session, deployment=deployment, editor=staff)
    assert {c["field"]: c["new"] for c in restored.changes} == {
        "state": "published", "archived_reason": None
    }


def test_history_is_newest_first_with_readable_changes(session: Session) -> None:
    staff = make_staff(session, "Ana")
    deployment = make_deployment(
        session, "Record", summary="Cameras were installed in the old town in 2019.",
        sources=[make_source(session)],
    )
    for summary in ("Cameras were installed in the old town and the port in 2019.",):
        draft, _ = parse_deployment_form(edit_form(deployment, summary=summary, status="pilot"),
                                         with_sources=False)
        editing.edit_deployment(session=session, deployment=deployment, editor=staff, draft=draft)
    editing.archive_deployment(session=session, deployment=deployment, editor=staff,
                               reason="Withdrawn")
    assert deployment.id is not None
    entries = history(session=session, deployment_id=deployment.id)
    assert [e.number for e in entries] == [2, 1]
    edit = entries[1]
    by_field = {c.field: c for c in edit.changes}
    assert by_field["status"].old == "Unknown" and by_field["status"].new == "Pilot"
    inserted = [s.text for s in by_field["summary"].segments if s.op == "insert"]
    assert "".join(inserted).strip() == "and the port"
    assert not [s for s in by_field["summary"].segments if s.op == "delete"]
    latest = revisions.latest_revision(session=session, deployment_id=deployment.id)
    assert latest is not None and latest.number == 2
    stored = session.exec(
        select(Revision).where(Revision.entity_id == deployment.id)
        .order_by(col(Revision.number))
    ).all()
    assert [r.actor_label for r in stored] == ["Ana", "Ana"]
