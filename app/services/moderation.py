"""Moderation: the decisions on public submissions (the queue and claims live in
app/services/queue.py and are re-exported here, so callers need one module).

Every decision takes the moderator's claim inside its own transaction (a conditional UPDATE:
unclaimed, expired, or already mine), so a decision never lands on a submission somebody else
holds or has already decided.

At decision time the submitter's contact details are deleted, and an audit entry records who
decided what (never what the submitter wrote).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime

from sqlmodel import Session, select

from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentVendor,
    EvidenceImage,
    Revision,
    Submission,
    User,
)
from app.models.base import utcnow
from app.services import audit
from app.services.drafts import DeploymentDraft, proposed_sources
from app.services.duplicates import (
    LIST_FIELDS,
    SCALAR_FIELDS,
    Candidate,
    duplicate_candidates,
    read_proposal,
)
from app.services.editing import (
    EditError,
    create_deployment,
    find_or_create_organisation,
    find_or_create_vendor,
    link_sources,
    lock_deployment,
    tracked,
)
from app.services.queue import (
    CLAIM_MINUTES,
    KINDS,
    OPEN_STATES,
    STATES,
    AlreadyDecided,
    ClaimedByOther,
    ModerationError,
    QueueFilters,
    QueueItem,
    QueuePage,
    claim,
    holds_claim,
    list_queue,
    parse_queue_filters,
    release,
    submission_label,
    take_claim,
    waiting_count,
)
from app.services.submissions import erase_contact

MAX_BULK = 200


# --- decisions ----------------------------------------------------------------------------------


def _close(
    session: Session, submission: Submission, reviewer: User, state: str, *,
    note: str | None = None, deployment_id: int | None = None, now: datetime,
) -> None:
    submission.state = state
    submission.reviewer_id = reviewer.id
    submission.decision_note = note
    submission.decided_at = now
    submission.claimed_by_id = None
    submission.claim_expires_at = None
    if deployment_id is not None:
        submission.deployment_id = deployment_id
    session.add(submission)
    # Contact details exist only to ask the submitter a question before deciding.
    assert submission.id is not None
    erase_contact(session=session, submission_id=submission.id)
    detail: dict[str, str | int | None] = {"kind": submission.kind}
    if deployment_id is not None:
        detail["deployment"] = deployment_id
    audit.record(
        session=session, actor=reviewer, action=f"submission_{state}",
        target=f"submission {submission.id}", detail=detail,
    )


def publish_submission(
    *, session: Session, submission: Submission, reviewer: User, draft: DeploymentDraft,
    attach_images: bool = True, now: datetime | None = None,
) -> Deployment:
    """A new published record from the moderator's edited version of the submission."""
    now = now or utcnow()
    if submission.kind != "new_deployment":
        raise ModerationError("Only a proposed new deployment can be published as a new record.")
    if not draft.sources:
        raise ModerationError(
            "Add at least one source before publishing: a record cannot rest on photos alone."
        )
    try:
        take_claim(session, submission, reviewer, now)
        deployment = create_deployment(
            session=session, draft=draft, actor=reviewer,
            summary=f"Created from submission #{submission.id}",
        )
        if attach_images:
            for image in session.exec(
                select(EvidenceImage).where(EvidenceImage.submission_id == submission.id)
            ):
                image.deployment_id = deployment.id
                session.add(image)
        _close(session, submission, reviewer, "accepted", deployment_id=deployment.id, now=now)
    except (ModerationError, EditError):
        session.rollback()
        raise
    session.commit()
    session.refresh(deployment)
    return deployment


@dataclass(frozen=True)
class MergeResult:
    deployment: Deployment
    revision: Revision | None
    skipped_sources: list[str] = default(default_factory=list)


def mergeable_fields(submission: Submission) -> list[str]:
    """Proposed fields a merge may take: the ones filled in that pass the staff form's checks."""
    proposal = read_proposal(submission.proposed)
    return [
        name
        for name in (*SCALAR_FIELDS, *LIST_FIELDS)
        if name in proposal.keys and name not in proposal.errors
        and proposal.value(name) not in (None, "", [])
    ]


def merge_submission(
    *, session: Session, submission: Submission, reviewer: User, deployment: Deployment,
    take: Collection[str] = (), now: datetime | None = None,
) -> MergeResult:
    """Add the submission's new sources to a record and take the chosen proposed fields (lists
    are added to, never replaced). The revision's actor is "submission #N"."""
    now = now or utcnow()
    assert deployment.id is not None
    proposal = read_proposal(submission.proposed)
    chosen = [name for name in mergeable_fields(submission) if name in set(take)]
    sources, source_errors = proposed_sources(submission.proposed)
    skipped = [
        f"Source {int(key.split('-')[1]) + 1}: {message}"
        for key, message in source_errors.items()
    ]
    good = [s for i, s in enumerate(sources) if not any(k.startswith(f"source-{i}-")
                                                         for k in source_errors)]
    try:
        take_claim(session, submission, reviewer, now)
        locked = lock_deployment(session=session, deployment_id=deployment.id)
        if locked is None or locked.state != "published":
            raise ModerationError("Submissions can only be merged into a published record.")
        label = submission_label(submission)
        with tracked(session, locked, actor=label, summary=f"Merged {label}") as result:
            for name in chosen:
                if name in SCALAR_FIELDS:
                    setattr(locked, name, proposal.draft.fields[name])
            _add_links(session, locked, proposal.draft, chosen)
            link_sources(session=session, deployment=locked, drafts=good)
        _close(session, submission, reviewer, "merged", deployment_id=deployment.id, now=now)
    except (ModerationError, EditError):
        session.rollback()
        raise
    session.commit()
    session.refresh(locked)
    return MergeResult(deployment=locked, revision=result.revision, skipped_sources=skipped)


def _add_links(session: Session, deployment: Deployment, draft: DeploymentDraft,
               chosen: Sequence[str]) -> None:
    deployment_id = deployment.id
    assert deployment_id is not None
    if "vendors" in chosen:
        have = {(v, r) for v, r in session.exec(
            select(DeploymentVendor.vendor_id, DeploymentVendor.role)
            .where(DeploymentVendor.deployment_id == deployment_id))}
        for item in draft.vendors:
            vendor = find_or_create_vendor(session=session, name=item.name)
            assert vendor.id is not None
            if (vendor.id, item.role) not in have:
                have.add((vendor.id, item.role))
                session.add(DeploymentVendor(deployment_id=deployment_id, vendor_id=vendor.id,
                                             role=item.role))
    if "operators" in chosen:
        operators = set(session.exec(select(DeploymentOperator.organisation_id)
                                     .where(DeploymentOperator.deployment_id == deployment_id)))
        for operator in draft.operators:
            organisation = find_or_create_organisation(
                session=session, name=operator.name, kind=operator.kind, country=deployment.country
            )
            assert organisation.id is not None
            if organisation.id not in operators:
                operators.add(organisation.id)
                session.add(DeploymentOperator(deployment_id=deployment_id,
                                               organisation_id=organisation.id))
    if "capabilities" in chosen:
        keys = set(session.exec(select(DeploymentCapability.capability_key)
                                .where(DeploymentCapability.deployment_id == deployment_id)))
        for key in draft.capabilities:
            if key not in keys:
                session.add(DeploymentCapability(deployment_id=deployment_id, capability_key=key))
    session.flush()


def _note(note: str) -> str:
    note = note.strip().replace("\r\n", "\n")
    if not note:
        raise ModerationError("Write a short note for the submitter saying why.")
    if len(note) > 2000:
        raise ModerationError("Keep the note under 2,000 characters.")
    return note


def reject_submission(
    *, session: Session, submission: Submission, reviewer: User, note: str,
    now: datetime | None = None,
) -> Submission:
    """Decline, with a note the submitter sees on their receipt page."""
    text = _note(note)
    return _decide_simple(session, submission, reviewer, "rejected", text, now or utcnow())


def mark_spam(
    *, session: Session, submission: Submission, reviewer: User, now: datetime | None = None
) -> Submission:
    return _decide_simple(session, submission, reviewer, "spam", None, now or utcnow())


def _decide_simple(session: Session, submission: Submission, reviewer: User, state: str,
                   note: str | None, now: datetime) -> Submission:
    try:
        take_claim(session, submission, reviewer, now)
        _close(session, submission, reviewer, state, note=note, now=now)
    except ModerationError:
        session.rollback()
        raise
    session.commit()
    return submission


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    skipped: list[tuple[int, str]]  # (submission id, why)


def bulk_decide(
    *, session: Session, ids: Sequence[int], reviewer: User, action: str, note: str = "",
    now: datetime | None = None,
) -> BulkResult:
    """Reject or mark as spam many submissions; each one claimed by someone else or already
    decided is skipped and said so, the others are decided (each in its own transaction)."""
    if action not in ("reject", "spam"):
        raise ModerationError("Choose to reject or to mark as spam.")
    text = _note(note) if action == "reject" else None
    if not ids:
        raise ModerationError("Tick at least one submission.")
    done: list[int] = []
    skipped: list[tuple[int, str]] = []
    for submission_id in list(dict.fromkeys(ids))[:MAX_BULK]:
        submission = session.get(Submission, submission_id)
        if submission is None:
            skipped.append((submission_id, "No such submission."))
            continue
        try:
            _decide_simple(session, submission, reviewer,
                           "rejected" if action == "reject" else "spam", text, now or utcnow())
        except ModerationError as error:
            skipped.append((submission_id, str(error)))
        else:
            done.append(submission_id)
    return BulkResult(done=done, skipped=skipped)


__all__ = [
    "CLAIM_MINUTES",
    "KINDS",
    "OPEN_STATES",
    "STATES",
    "AlreadyDecided",
    "BulkResult",
    "Candidate",
    "ClaimedByOther",
    "MergeResult",
    "ModerationError",
    "QueueFilters",
    "QueueItem",
    "QueuePage",
    "bulk_decide",
    "claim",
    "duplicate_candidates",
    "holds_claim",
    "list_queue",
    "mark_spam",
    "merge_submission",
    "mergeable_fields",
    "parse_queue_filters",
    "publish_submission",
    "reject_submission",
    "release",
    "submission_label",
    "waiting_count",
]
