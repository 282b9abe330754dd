"""The moderation queue and claims on submissions.

A moderator claims a submission before working on it; the claim is a conditional UPDATE
(unclaimed, expired, or already mine), so of two moderators who click at the same moment
exactly one gets it, on SQLite and on PostgreSQL alike. Decisions (app/services/moderation.py)
take the claim the same way inside their own transaction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, update
from sqlmodel import Session, col, select

from app.models import Deployment, EvidenceImage, Submission, User
from app.models.base import utcnow
from app.services.duplicates import read_proposal

STATES = ("pending", "in_review", "accepted", "merged", "rejected", "spam")
OPEN_STATES = ("pending", "in_review")
KINDS = ("new_deployment", "correction", "new_source")
CLAIM_MINUTES = 30
PER_PAGE = 50


class ModerationError(Exception):
    """A decision the rules refuse; the message is a sentence for the moderator."""


class ClaimedByOther(ModerationError):
    pass


class AlreadyDecided(ModerationError):
    pass


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def submission_label(submission: Submission) -> str:
    return f"submission #{submission.id}"


# --- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    state: str = "open"  # "open" (pending and in review), "all", or one state
    kind: str = ""
    country: str = ""
    page: int = 1

    def query_items(self, **changes: str | int) -> list[tuple[str, str]]:
        values = {"state": self.state, "kind": self.kind, "country": self.country,
                  "page": self.page, **changes}
        defaults = {"state": "open", "kind": "", "country": "", "page": 1}
        return [(k, str(v)) for k, v in values.items() if v != defaults[k]]


def parse_queue_filters(raw: Iterable[tuple[str, str]]) -> tuple[QueueFilters, dict[str, str]]:
    values = {name: value.strip() for name, value in raw}
    errors: dict[str, str] = {}
    state = values.get("state") or "open"
    if state not in ("open", "all", *STATES):
        errors["state"] = "Pick a state from the list."
        state = "open"
    kind = values.get("kind", "")
    if kind and kind not in KINDS:
        errors["kind"] = "Pick a kind from the list."
        kind = ""
    country = values.get("country", "").upper()
    if country and (len(country) != 2 or not country.isalpha() or not country.isascii()):
        errors["country"] = "Enter a two-letter country code, e.g. RS."
        country = ""
    page_text = values.get("page", "1") or "1"
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10_000 else 1
    if page_text != str(page):
        errors["page"] = "Page must be a whole number."
    return QueueFilters(state=state, kind=kind, country=country, page=page), errors


@dataclass(frozen=True)
class QueueItem:
    submission: Submission
    title: str
    country: str | None
    target_title: str | None
    claimed_by: str | None  # who holds a claim that has not expired
    claim_expires_at: datetime | None
    images: int


@dataclass(frozen=True)
class QueuePage:
    filters: QueueFilters
    items: list[QueueItem]
    counts: dict[str, int]
    total: int
    pages: int

    @property
    def open_count(self) -> int:
        return sum(self.counts.get(state, 0) for state in OPEN_STATES)


def _country_expression() -> ColumnElement[str]:
    proposed = col(Submission.proposed)["country"].as_string()
    return func.coalesce(proposed, Deployment.country)


def list_queue(
    *, session: Session, filters: QueueFilters, per_page: int = PER_PAGE,
    now: datetime | None = None,
) -> QueuePage:
    """Submissions oldest first, with counts by state under the same kind and country filters."""
    now = now or utcnow()
    target = col(Submission.target_deployment_id) == Deployment.id
    where: list[ColumnElement[bool]] = []
    if filters.kind:
        where.append(col(Submission.kind) == filters.kind)
    if filters.country:
        where.append(_country_expression() == filters.country)
    counts = dict(
        session.exec(
            select(Submission.state, func.count())
            .outerjoin(Deployment, target)
            .where(*where)
            .group_by(col(Submission.state))
        ).all()
    )
    if filters.state == "open":
        where.append(col(Submission.state).in_(OPEN_STATES))
    elif filters.state != "all":
        where.append(col(Submission.state) == filters.state)
    total = session.exec(
        select(func.count()).select_from(Submission).outerjoin(Deployment, target).where(*where)
    ).one()
    pages = max(1, math.ceil(total / per_page))
    rows = session.exec(
        select(Submission, Deployment.title, Deployment.country, User.display_name)
        .outerjoin(Deployment, target)
        .outerjoin(User, col(User.id) == Submission.claimed_by_id)
        .where(*where)
        .order_by(col(Submission.received_at), col(Submission.id))
        .limit(per_page)
        .offset((min(filters.page, pages) - 1) * per_page)
    ).all()
    ids = [submission.id for submission, *_ in rows]
    images = dict(
        session.exec(
            select(EvidenceImage.submission_id, func.count())
            .where(col(EvidenceImage.submission_id).in_(ids))
            .group_by(col(EvidenceImage.submission_id))
        ).all()
    )
    items = []
    for submission, target_title, target_country, claimer in rows:
        expires = _aware(submission.claim_expires_at)
        active = claimer is not None and expires is not None and expires > now
        proposal = read_proposal(submission.proposed)
        title = str(submission.proposed.get("title") or "")
        items.append(
            QueueItem(
                submission=submission,
                title=title,
                country=proposal.value("country") or target_country,
                target_title=target_title,
                claimed_by=claimer if active else None,
                claim_expires_at=expires if active else None,
                images=images.get(submission.id, 0),
            )
        )
    return QueuePage(
        filters=filters, items=items, counts={s: counts.get(s, 0) for s in STATES},
        total=total, pages=pages,
    )


def waiting_count(*, session: Session) -> int:
    """Submissions no one has decided yet: the number shown in the staff navigation."""
    return session.exec(
        select(func.count()).where(col(Submission.state).in_(OPEN_STATES))
    ).one()


# --- claims -------------------------------------------------------------------------------------


def take_claim(session: Session, submission: Submission, moderator: User, now: datetime,
          minutes: int = CLAIM_MINUTES) -> None:
    """Claim (or renew the claim on) an open submission in the current transaction."""
    assert submission.id is not None and moderator.id is not None
    result = session.exec(
        update(Submission)
        .where(
            col(Submission.id) == submission.id,
            col(Submission.state).in_(OPEN_STATES),
            or_(
                col(Submission.claimed_by_id).is_(None),
                col(Submission.claim_expires_at) < now,
                col(Submission.claimed_by_id) == moderator.id,
            ),
        )
        .values(
            claimed_by_id=moderator.id,
            claim_expires_at=now + timedelta(minutes=minutes),
            state="in_review",
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(submission)
    if result.rowcount == 1:
        return
    if submission.state not in OPEN_STATES:
        raise AlreadyDecided(f"Submission #{submission.id} has already been decided.")
    holder = session.get(User, submission.claimed_by_id) if submission.claimed_by_id else None
    until = _aware(submission.claim_expires_at)
    raise ClaimedByOther(
        f"{holder.display_name if holder else 'Another moderator'} is working on submission "
        f"#{submission.id}"
        + (f" until {until:%H:%M} UTC." if until else ".")
    )


def claim(
    *, session: Session, submission: Submission, moderator: User,
    minutes: int = CLAIM_MINUTES, now: datetime | None = None,
) -> Submission:
    """Lock the submission for this moderator for `minutes`; raises ClaimedByOther when
    someone else holds it, AlreadyDecided when it is closed."""
    try:
        take_claim(session, submission, moderator, now or utcnow(), minutes)
    except ModerationError:
        session.rollback()
        session.refresh(submission)
        raise
    session.commit()
    return submission


def release(*, session: Session, submission: Submission, moderator: User) -> bool:
    """Give the submission back to the queue; only its holder can."""
    result = session.exec(
        update(Submission)
        .where(
            col(Submission.id) == submission.id,
            col(Submission.state) == "in_review",
            col(Submission.claimed_by_id) == moderator.id,
        )
        .values(claimed_by_id=None, claim_expires_at=None, state="pending")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(submission)
    return result.rowcount == 1


def holds_claim(submission: Submission, moderator: User, now: datetime | None = None) -> bool:
    expires = _aware(submission.claim_expires_at)
    return (
        submission.claimed_by_id == moderator.id
        and expires is not None
        and expires > (now or utcnow())
    )
