"""The append-only revision history of published records.

Every write to a published deployment (publishing, merging, staff edits of the record, its
sources or its oversight events, archiving) takes a `deployment_snapshot` before and after,
and `record_revision` stores the `diff` in the same transaction. A snapshot is a flat dict of
JSON values: the record's own columns, its links as lists of readable entries ("Huawei
(prime)", "#12 Headline"), and each source's and oversight event's details under keys such as
`source.12.url`, so a changed link or a changed source shows up as a changed field.

There is deliberately no function that updates or deletes a revision.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app import vocab
from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentSource,
    DeploymentVendor,
    Organisation,
    OversightEvent,
    OversightEventSource,
    Revision,
    Source,
    User,
    Vendor,
)
from app.models.base import utcnow
from app.search_index import country_name

DEPLOYMENT = "deployment"
Change = dict[str, Any]  # {"field": str, "old": JSON value, "new": JSON value}
Actor = User | str  # a staff member, or a label such as "submission #12"

SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "title", "slug", "summary", "country", "region", "city", "site", "latitude", "longitude",
    "geo_precision", "programme", "status", "announced_on", "started_on", "ended_on",
    "camera_count", "site_count", "scale_note", "financing", "funder", "contract_value",
    "currency", "oversight_status", "verification", "last_verified_on", "state",
    "archived_reason",
)
SOURCE_DETAILS: tuple[str, ...] = (
    "claim", "url", "publisher", "published_on", "source_type", "archived_url", "excerpt",
    "accessed_on",
)
EVENT_DETAILS: tuple[str, ...] = ("body", "outcome", "description", "sources")

LABELS: dict[str, str] = {
    "title": "Title", "slug": "Address name", "summary": "Summary", "country": "Country",
    "region": "Region", "city": "City", "site": "Site", "latitude": "Latitude",
    "longitude": "Longitude", "geo_precision": "Place precision", "programme": "Programme",
    "status": "Lifecycle status", "announced_on": "Announced", "started_on": "Started",
    "ended_on": "Ended", "camera_count": "Cameras", "site_count": "Sites",
    "scale_note": "Scale note", "financing": "Financing", "funder": "Funder",
    "contract_value": "Contract value", "currency": "Currency",
    "oversight_status": "Oversight status", "verification": "Verification",
    "last_verified_on": "Last verified", "state": "Record state",
    "archived_reason": "Reason for archiving", "vendors": "Vendors", "operators": "Operators",
    "capabilities": "Capabilities", "sources": "Sources", "oversight_events": "Oversight events",
    "claim": "supports", "url": "web address", "publisher": "publisher",
    "published_on": "published", "source_type": "type", "archived_url": "archived copy",
    "excerpt": "excerpt", "accessed_on": "accessed", "body": "who acted", "outcome": "outcome",
    "description": "description",
}
# Values stored as vocabulary keys, shown by their labels.
_VOCAB_VALUES: dict[str, dict[str, vocab.Term]] = {
    "status": vocab.by_key(vocab.LIFECYCLE_STATUSES),
    "oversight_status": vocab.by_key(vocab.OVERSIGHT_STATUSES),
    "verification": vocab.by_key(vocab.VERIFICATIONS),
    "geo_precision": vocab.by_key(vocab.GEO_PRECISIONS),
    "state": vocab.by_key(vocab.RECORD_STATES),
    "capabilities": vocab.by_key(vocab.CAPABILITIES),
    "source_type": vocab.by_key(vocab.SOURCE_TYPES),
}
_DETAIL_KEY = re.compile(r"^(source|oversight_event)\.(\d+)\.([a-z_]+)$")
_WORDS = re.compile(r"\s+|\w+|[^\w\s]")  # words, spaces and single punctuation marks
# Texts longer than this, or of more than three words, are shown as a word-by-word diff.
_INLINE_LIMIT = 40


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- snapshots and diffs ----------------------------------------------------------------------


def deployment_snapshot(*, session: Session, deployment: Deployment) -> dict[str, Any]:
    """Everything a reader sees on the record page, as a flat dict of JSON values."""
    deployment_id = deployment.id
    assert deployment_id is not None
    snapshot: dict[str, Any] = {
        name: _json(getattr(deployment, name)) for name in SNAPSHOT_COLUMNS
    }
    snapshot["vendors"] = sorted(
        f"{name} ({role})"
        for name, role in session.exec(
            select(Vendor.name, DeploymentVendor.role)
            .join(DeploymentVendor, col(DeploymentVendor.vendor_id) == Vendor.id)
            .where(DeploymentVendor.deployment_id == deployment_id)
        )
    )
    snapshot["operators"] = sorted(
        session.exec(
            select(Organisation.name)
            .join(DeploymentOperator, col(DeploymentOperator.organisation_id) == Organisation.id)
            .where(DeploymentOperator.deployment_id == deployment_id)
        )
    )
    order = {t.key: i for i, t in enumerate(vocab.CAPABILITIES)}
    snapshot["capabilities"] = sorted(
        session.exec(
            select(DeploymentCapability.capability_key).where(
                DeploymentCapability.deployment_id == deployment_id
            )
        ),
        key=lambda key: (order.get(key, len(order)), key),
    )
    sources = session.exec(
        select(Source, DeploymentSource.claim)
        .join(DeploymentSource, col(DeploymentSource.source_id) == Source.id)
        .where(DeploymentSource.deployment_id == deployment_id)
        .order_by(col(DeploymentSource.position), col(Source.id))
    ).all()
    snapshot["sources"] = [f"#{source.id} {source.title}" for source, _claim in sources]
    for source, claim in sources:
        values = {**{name: getattr(source, name) for name in SOURCE_DETAILS[1:]}, "claim": claim}
        for name in SOURCE_DETAILS:
            snapshot[f"source.{source.id}.{name}"] = _json(values[name])
    _event_snapshot(session, deployment_id, snapshot)
    return snapshot


def _event_snapshot(session: Session, deployment_id: int, snapshot: dict[str, Any]) -> None:
    events = list(
        session.exec(
            select(OversightEvent)
            .where(OversightEvent.deployment_id == deployment_id)
            .order_by(col(OversightEvent.id))
        )
    )
    titles: dict[int, list[str]] = {}
    if events:
        for event_id, source_id, title in session.exec(
            select(OversightEventSource.event_id, Source.id, Source.title)
            .join(Source, col(Source.id) == OversightEventSource.source_id)
            .where(col(OversightEventSource.event_id).in_([e.id for e in events]))
            .order_by(col(Source.id))
        ):
            titles.setdefault(event_id, []).append(f"#{source_id} {title}")
    kinds = vocab.by_key(vocab.OVERSIGHT_EVENT_KINDS)
    snapshot["oversight_events"] = [
        f"#{e.id} {kinds[e.kind].label if e.kind in kinds else e.kind}, {e.date or 'undated'}"
        for e in events
    ]
    for event in events:
        snapshot[f"oversight_event.{event.id}.body"] = event.body
        snapshot[f"oversight_event.{event.id}.outcome"] = event.outcome
        snapshot[f"oversight_event.{event.id}.description"] = event.description or None
        snapshot[f"oversight_event.{event.id}.sources"] = titles.get(event.id or 0, [])


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The fields whose values differ, in the order of `after` then `before`-only keys.

    A field that is missing and one that is empty (None, "", []) count as the same.
    """
    changes: list[Change] = []
    for name in [*after, *(key for key in before if key not in after)]:
        old, new = before.get(name), after.get(name)
        if _blank(old) and _blank(new):
            continue
        if old != new:
            changes.append({"field": name, "old": old, "new": new})
    return changes


# --- writing ----------------------------------------------------------------------------------


def record_revision(
    *,
    session: Session,
    entity: str,
    entity_id: int,
    actor: Actor,
    summary: str,
    changes: list[Change],
) -> Revision:
    """Append the next numbered revision; the caller commits it with the change it describes."""
    previous = session.exec(
        select(func.max(Revision.number)).where(
            Revision.entity == entity, Revision.entity_id == entity_id
        )
    ).one()
    revision = Revision(
        entity=entity,
        entity_id=entity_id,
        number=(previous or 0) + 1,
        actor_id=actor.id if isinstance(actor, User) else None,
        actor_label=(actor.display_name if isinstance(actor, User) else actor)[:120],
        created_at=utcnow(),
        summary=summary[:500],
        changes=[{key: _json(value) for key, value in change.items()} for change in changes],
    )
    session.add(revision)
    session.flush()
    return revision


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A piece of a word-by-word diff: kept ("equal"), removed ("delete") or added ("insert")."""

    op: str
    text: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str | None
    new: str | None
    removed: list[str] = default(default_factory=list)  # for lists: entries taken out
    added: list[str] = default(default_factory=list)  # for lists: entries put in
    segments: list[Segment] = default(default_factory=list)  # for long texts

    @property
    def is_list(self) -> bool:
        return bool(self.removed or self.added)


@dataclass(frozen=True)
class HistoryEntry:
    number: int
    created_at: datetime
    actor_label: str
    summary: str
    changes: list[FieldChange]


def field_label(name: str) -> str:
    match = _DETAIL_KEY.match(name)
    if match:
        kind, number, detail = match.groups()
        owner = "Source" if kind == "source" else "Oversight event"
        return f"{owner} #{number}: {LABELS.get(detail, detail)}"
    return LABELS.get(name, name.replace("_", " ").capitalize())


def display_value(name: str, value: Any) -> str | None:
    """A stored value as a reader should see it: vocabulary keys become their labels."""
    if _blank(value):
        return None
    base = name.rsplit(".", 1)[-1]
    terms = _VOCAB_VALUES.get(base)
    if isinstance(value, list):
        return "; ".join(str(display_value(name, item)) for item in value)
    text = str(value)
    if terms is not None and text in terms:
        return terms[text].label
    if base == "country":
        return f"{country_name(text)} ({text})"
    return text


def word_diff(old: str, new: str) -> list[Segment]:
    """Word-by-word differences between two texts (whitespace kept, so paragraphs survive)."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            segments.append(Segment("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            segments.append(Segment("insert", "".join(b[j1:j2])))
    return segments


def describe_change(change: Mapping[str, Any]) -> FieldChange:
    name = str(change.get("field", ""))
    old, new = change.get("old"), change.get("new")
    label = field_label(name)
    if isinstance(old, list) or isinstance(new, list):
        old_items = [str(display_value(name, v)) for v in (old or [])]
        new_items = [str(display_value(name, v)) for v in (new or [])]
        return FieldChange(
            field=name,
            label=label,
            old=display_value(name, old),
            new=display_value(name, new),
            removed=[item for item in old_items if item not in new_items],
            added=[item for item in new_items if item not in old_items],
        )
    shown_old, shown_new = display_value(name, old), display_value(name, new)
    segments: list[Segment] = []
    if (
        isinstance(old, str)
        and isinstance(new, str)
        and shown_old == old
        and any(len(text) > _INLINE_LIMIT or len(text.split()) > 3 for text in (old, new))
    ):
        segments = word_diff(old, new)
    return FieldChange(field=name, label=label, old=shown_old, new=shown_new, segments=segments)


def public_deployment(*, session: Session, deployment_id: int) -> Deployment | None:
    """A published or archived record (the ones whose history is public), else None."""
    if not 0 < deployment_id < 2**63:
        return None
    deployment = session.get(Deployment, deployment_id)
    if deployment is None or deployment.state not in ("published", "archived"):
        return None
    return deployment


def history(*, session: Session, deployment_id: int) -> list[HistoryEntry]:
    """A deployment's revisions, newest first, with every change described for reading."""
    revisions = session.exec(
        select(Revision)
        .where(Revision.entity == DEPLOYMENT, Revision.entity_id == deployment_id)
        .order_by(col(Revision.number).desc())
    )
    return [
        HistoryEntry(
            number=revision.number,
            created_at=revision.created_at,
            actor_label=revision.actor_label,
            summary=revision.summary,
            changes=[describe_change(change) for change in revision.changes],
        )
        for revision in revisions
    ]


def latest_revision(*, session: Session, deployment_id: int) -> Revision | None:
    return session.exec(
        select(Revision)
        .where(Revision.entity == DEPLOYMENT, Revision.entity_id == deployment_id)
        .order_by(col(Revision.number).desc())
        .limit(1)
    ).first()


__all__ = [
    "DEPLOYMENT",
    "Actor",
    "Change",
    "FieldChange",
    "HistoryEntry",
    "Segment",
    "deployment_snapshot",
    "describe_change",
    "diff",
    "field_label",
    "history",
    "latest_revision",
    "public_deployment",
    "record_revision",
    "word_diff",
]
