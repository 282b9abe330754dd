"""The audit log: what staff did (logins, decisions, edits, user changes), and who did it.

Entries never hold submitter data: no submission contents, no contact details, no addresses.
`detail` takes a few short scalar facts (a role, a state, a record number); anything longer or
nested is refused, so a whole submission cannot slip in by accident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import AuditEntry, User

MAX_DETAIL_TEXT = 120
Scalar = str | int | float | bool | None


def record(
    *,
    session: Session,
    actor: User | None,
    action: str,
    target: str | None = None,
    detail: Mapping[str, Scalar] | None = None,
) -> AuditEntry:
    """Add an entry to the session; the caller's commit saves it with the action itself."""
    facts = dict(detail or {})
    for name, value in facts.items():
        if not isinstance(value, str | int | float | bool | type(None)):
            raise ValueError(f"audit detail {name!r} must be a short scalar")
        if isinstance(value, str) and len(value) > MAX_DETAIL_TEXT:
            raise ValueError(f"audit detail {name!r} is too long to be a fact about an action")
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None, action=action, target=target,
        detail=facts,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: Sequence[tuple[AuditEntry, User | None]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_entries(*, session: Session, page: int = 1, per_page: int = 50) -> AuditPage:
    """Newest first, each with its actor (None for an anonymous attempt)."""
    total = session.exec(select(func.count()).select_from(AuditEntry)).one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = session.exec(
        select(AuditEntry, User)
        .join(User, col(AuditEntry.actor_id) == col(User.id), isouter=True)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return AuditPage(entries=list(rows), total=total, page=page, per_page=per_page)
