"""Staff writes to published records: creating one, editing it, archiving and restoring it
(its sources and oversight events: app/services/source_edits.py). Each public function is one
transaction that also appends the revision describing the change (app/services/revisions.py)
and an audit entry, and commits. `tracked` is how every write path records its revision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentSource,
    DeploymentVendor,
    Organisation,
    Revision,
    Source,
    User,
    Vendor,
)
from app.models.base import utcnow
from app.services import audit
from app.services.drafts import DEPLOYMENT_FIELDS, DeploymentDraft, SourceDraft
from app.services.revisions import (
    DEPLOYMENT,
    Actor,
    deployment_snapshot,
    diff,
    latest_revision,
    record_revision,
)
from app.text import slugify

PUBLIC_STATES = ("published", "archived")


class EditError(Exception):
    """A change the rules refuse; the message is a sentence for the staff member."""


class StaleEdit(EditError):
    """Someone else changed the record since the form was opened."""


@dataclass
class Tracked:
    """Filled in when a tracked change ends: the revision written, or None if nothing changed."""

    revision: Revision | None = None


@contextmanager
def tracked(
    session: Session, deployment: Deployment, *, actor: Actor, summary: str
) -> Iterator[Tracked]:
    """Snapshot the record, let the caller change it, then record what changed as a revision."""
    assert deployment.id is not None
    before = deployment_snapshot(session=session, deployment=deployment)
    result = Tracked()
    yield result
    session.flush()
    after = deployment_snapshot(session=session, deployment=deployment)
    changes = diff(before, after)
    if changes:
        deployment.updated_at = utcnow()
        result.revision = record_revision(
            session=session, entity=DEPLOYMENT, entity_id=deployment.id, actor=actor,
            summary=summary, changes=changes,
        )


def lock_deployment(*, session: Session, deployment_id: int) -> Deployment | None:
    """The record, locked for this transaction on PostgreSQL so two edits queue up; SQLite
    already lets one writer in at a time. Records that are not public are not returned."""
    deployment = session.exec(
        select(Deployment).where(Deployment.id == deployment_id).with_for_update()
    ).first()
    if deployment is None or deployment.state not in PUBLIC_STATES:
        return None
    return deployment


def _check_revision(session: Session, deployment: Deployment, expected: int | None) -> None:
    if expected is None:
        return
    assert deployment.id is not None
    latest = latest_revision(session=session, deployment_id=deployment.id)
    if (latest.number if latest else 0) != expected:
        raise StaleEdit(
            "Someone else changed this record while you were editing it. Your changes were not "
            "saved: reload the page to see the current version, then make them again."
        )


def audit_edit(session: Session, actor: User, action: str, deployment: Deployment) -> None:
    audit.record(session=session, actor=actor, action=action, target=f"deployment {deployment.id}")


# --- links --------------------------------------------------------------------------------------


def find_or_create_vendor(*, session: Session, name: str) -> Vendor:
    """The vendor whose slug matches the name ("ZTE corp." finds "zte-corp"), or a new one."""
    slug = slugify(name, max_length=200)
    vendor = session.exec(select(Vendor).where(Vendor.slug == slug)).first()
    if vendor is None:
        vendor = Vendor(name=name, slug=slug)
        session.add(vendor)
        session.flush()
    return vendor


def find_or_create_organisation(
    *, session: Session, name: str, kind: str, country: str | None
) -> Organisation:
    slug = slugify(name, max_length=200)
    organisation = session.exec(select(Organisation).where(Organisation.slug == slug)).first()
    if organisation is None:
        organisation = Organisation(name=name, slug=slug, kind=kind, country=country)
        session.add(organisation)
        session.flush()
    return organisation


def _set_links(session: Session, deployment: Deployment, draft: DeploymentDraft) -> None:
    deployment_id = deployment.id
    assert deployment_id is not None
    for table in (DeploymentVendor, DeploymentOperator, DeploymentCapability):
        session.exec(delete(table).where(col(table.deployment_id) == deployment_id))
    seen: set[tuple[int, str]] = set()
    for vendor_draft in draft.vendors:
        vendor = find_or_create_vendor(session=session, name=vendor_draft.name)
        assert vendor.id is not None
        if (vendor.id, vendor_draft.role) not in seen:
            seen.add((vendor.id, vendor_draft.role))
            session.add(
                DeploymentVendor(
                    deployment_id=deployment_id, vendor_id=vendor.id, role=vendor_draft.role
                )
            )
    operator_ids: set[int] = set()
    for operator in draft.operators:
        organisation = find_or_create_organisation(
            session=session, name=operator.name, kind=operator.kind, country=deployment.country
        )
        assert organisation.id is not None
        if organisation.id not in operator_ids:
            operator_ids.add(organisation.id)
            session.add(
                DeploymentOperator(deployment_id=deployment_id, organisation_id=organisation.id)
            )
    for key in draft.capabilities:
        session.add(DeploymentCapability(deployment_id=deployment_id, capability_key=key))
    session.flush()


def link_sources(*, session: Session, deployment: Deployment, drafts: list[SourceDraft]) -> int:
    """Link each source, reusing a stored source with the same address; returns how many were
    new to this record (a source already linked keeps its place and claim)."""
    deployment_id = deployment.id
    assert deployment_id is not None
    linked = set(
        session.exec(
            select(DeploymentSource.source_id).where(
                DeploymentSource.deployment_id == deployment_id
            )
        )
    )
    position = session.exec(
        select(func.coalesce(func.max(DeploymentSource.position), -1)).where(
            DeploymentSource.deployment_id == deployment_id
        )
    ).one()
    added = 0
    for draft in drafts:
        source = None
        if draft.url:
            source = session.exec(
                select(Source).where(Source.url == draft.url).order_by(col(Source.id))
            ).first()
        if source is None:
            source = Source(**draft.source_fields())
            session.add(source)
            session.flush()
        assert source.id is not None
        if source.id in linked:
            continue
        linked.add(source.id)
        position += 1
        added += 1
        session.add(
            DeploymentSource(
                deployment_id=deployment_id, source_id=source.id, claim=draft.claim,
                position=position,
            )
        )
    session.flush()
    return added


# --- the record ---------------------------------------------------------------------------------


def create_deployment(
    *, session: Session, draft: DeploymentDraft, actor: Actor, summary: str
) -> Deployment:
    """A new published record with its links and sources, and its revision #1. No commit."""
    if not draft.sources:
        raise EditError("A published record needs at least one source.")
    fields = dict(draft.fields)
    deployment = Deployment(slug=slugify(fields["title"], max_length=200), **fields)
    session.add(deployment)
    session.flush()
    assert deployment.id is not None
    _set_links(session, deployment, draft)
    link_sources(session=session, deployment=deployment, drafts=draft.sources)
    after = deployment_snapshot(session=session, deployment=deployment)
    record_revision(
        session=session, entity=DEPLOYMENT, entity_id=deployment.id, actor=actor,
        summary=summary, changes=diff({}, after),
    )
    return deployment


def edit_deployment(
    *,
    session: Session,
    deployment: Deployment,
    editor: User,
    draft: DeploymentDraft,
    summary: str = "",
    expected_revision: int | None = None,
) -> Revision | None:
    """Apply the edit form's fields and links; None when nothing actually changed."""
    _check_revision(session, deployment, expected_revision)
    with tracked(session, deployment, actor=editor, summary=summary or "Edited the record") as t:
        for name, value in draft.fields.items():
            setattr(deployment, name, value)
        deployment.slug = slugify(deployment.title, max_length=200)
        _set_links(session, deployment, draft)
    if t.revision is not None:
        audit_edit(session, editor, "edit_deployment", deployment)
    session.commit()
    return t.revision


def archive_deployment(
    *, session: Session, deployment: Deployment, editor: User, reason: str
) -> Revision:
    """Withdraw a record: it keeps its address and shows the public reason."""
    reason = " ".join(reason.split())
    if not reason:
        raise EditError("Give the public reason for archiving this record.")
    if deployment.state == "archived":
        raise EditError("This record is already archived.")
    with tracked(session, deployment, actor=editor, summary=f"Archived: {reason}") as t:
        deployment.state = "archived"
        deployment.archived_reason = reason
    assert t.revision is not None
    audit_edit(session, editor, "archive_deployment", deployment)
    session.commit()
    return t.revision


def restore_deployment(*, session: Session, deployment: Deployment, editor: User) -> Revision:
    if deployment.state != "archived":
        raise EditError("Only an archived record can be restored.")
    with tracked(session, deployment, actor=editor, summary="Restored from the archive") as t:
        deployment.state = "published"
        deployment.archived_reason = None
    assert t.revision is not None
    audit_edit(session, editor, "restore_deployment", deployment)
    session.commit()
    return t.revision


# --- current values as form items ---------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value)


def deployment_form_items(*, session: Session, deployment: Deployment) -> list[tuple[str, str]]:
    """The record as the edit form's (name, value) pairs, so the form opens on what is stored."""
    items = [(name, _text(getattr(deployment, name))) for name in DEPLOYMENT_FIELDS]
    vendors = session.exec(
        select(Vendor.name, DeploymentVendor.role)
        .join(DeploymentVendor, col(DeploymentVendor.vendor_id) == Vendor.id)
        .where(DeploymentVendor.deployment_id == deployment.id)
        .order_by(col(Vendor.name), col(DeploymentVendor.role))
    )
    for index, (name, role) in enumerate(vendors):
        items += [(f"vendor-{index}-name", name), (f"vendor-{index}-role", role)]
    operators = session.exec(
        select(Organisation.name, Organisation.kind)
        .join(DeploymentOperator, col(DeploymentOperator.organisation_id) == Organisation.id)
        .where(DeploymentOperator.deployment_id == deployment.id)
        .order_by(col(Organisation.name))
    )
    for index, (name, kind) in enumerate(operators):
        items += [(f"operator-{index}-name", name), (f"operator-{index}-kind", kind)]
    items += [
        ("capabilities", key)
        for key in session.exec(
            select(DeploymentCapability.capability_key).where(
                DeploymentCapability.deployment_id == deployment.id
            )
        )
    ]
    return items
