"""Staff writes to a public record's sources and oversight events, each one transaction that
appends the record's revision (and, for a shared source, a revision on every record citing
it) and an audit entry. A published record keeps at least one source.
"""

from __future__ import annotations

from contextlib import ExitStack

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from app.models import (
    Deployment,
    DeploymentSource,
    OversightEvent,
    OversightEventSource,
    Revision,
    Source,
    User,
)
from app.services.drafts import EVENT_FIELDS, SOURCE_FIELDS, EventDraft, SourceDraft
from app.services.editing import PUBLIC_STATES, EditError, audit_edit, link_sources, tracked

# --- sources ------------------------------------------------------------------------------------


def add_source(
    *, session: Session, deployment: Deployment, editor: User, draft: SourceDraft
) -> Revision | None:
    with tracked(session, deployment, actor=editor, summary="Added a source") as t:
        link_sources(session=session, deployment=deployment, drafts=[draft])
    if t.revision is not None:
        audit_edit(session, editor, "add_source", deployment)
    session.commit()
    return t.revision


def citing_deployments(*, session: Session, source_id: int) -> list[Deployment]:
    return list(
        session.exec(
            select(Deployment)
            .join(DeploymentSource, col(DeploymentSource.deployment_id) == Deployment.id)
            .where(
                DeploymentSource.source_id == source_id,
                col(Deployment.state).in_(PUBLIC_STATES),
            )
            .order_by(col(Deployment.id))
        )
    )


def edit_source(
    *, session: Session, deployment: Deployment, source: Source, editor: User, draft: SourceDraft
) -> list[Revision]:
    """Change a source and its claim on this record. A source can back several records, so
    every public record citing it gets a revision (they all show the new details)."""
    assert deployment.id is not None and source.id is not None
    link = session.get(DeploymentSource, (deployment.id, source.id))
    if link is None:
        raise EditError("This source is not linked to this record.")
    others = [d for d in citing_deployments(session=session, source_id=source.id)
              if d.id != deployment.id]
    summary = f"Edited source #{source.id}"
    with ExitStack() as stack:
        results = [
            stack.enter_context(tracked(session, d, actor=editor, summary=summary))
            for d in [deployment, *others]
        ]
        for name, value in draft.source_fields().items():
            setattr(source, name, value)
        link.claim = draft.claim
    revisions = [t.revision for t in results if t.revision is not None]
    if revisions:
        audit_edit(session, editor, "edit_source", deployment)
    session.commit()
    return revisions


def unlink_source(
    *, session: Session, deployment: Deployment, source: Source, editor: User
) -> Revision:
    assert deployment.id is not None and source.id is not None
    link = session.get(DeploymentSource, (deployment.id, source.id))
    if link is None:
        raise EditError("This source is not linked to this record.")
    count = session.exec(
        select(func.count()).where(DeploymentSource.deployment_id == deployment.id)
    ).one()
    if count <= 1:
        raise EditError(
            "This is the record's only source. Add another source before removing this one: a "
            "published record always rests on at least one."
        )
    with tracked(session, deployment, actor=editor, summary=f"Removed source #{source.id}") as t:
        session.delete(link)
        event_ids = select(OversightEvent.id).where(OversightEvent.deployment_id == deployment.id)
        session.exec(
            delete(OversightEventSource).where(
                col(OversightEventSource.source_id) == source.id,
                col(OversightEventSource.event_id).in_(event_ids),
            )
        )
    assert t.revision is not None
    audit_edit(session, editor, "unlink_source", deployment)
    session.commit()
    return t.revision


# --- oversight events ---------------------------------------------------------------------------


def _event_sources(session: Session, deployment: Deployment, event: OversightEvent,
                   source_ids: list[int]) -> None:
    """An event cites only sources of its own record; anything else in the form is ignored."""
    assert event.id is not None
    allowed = set(
        session.exec(
            select(DeploymentSource.source_id).where(
                DeploymentSource.deployment_id == deployment.id
            )
        )
    )
    session.exec(
        delete(OversightEventSource).where(col(OversightEventSource.event_id) == event.id)
    )
    for source_id in dict.fromkeys(source_ids):
        if source_id in allowed:
            session.add(OversightEventSource(event_id=event.id, source_id=source_id))


def add_oversight_event(
    *, session: Session, deployment: Deployment, editor: User, draft: EventDraft
) -> tuple[OversightEvent, Revision | None]:
    """A new event in the record's oversight log; it may move the record's current status."""
    assert deployment.id is not None
    with tracked(session, deployment, actor=editor, summary="Added an oversight event") as t:
        event = OversightEvent(deployment_id=deployment.id, **draft.fields)
        session.add(event)
        session.flush()
        _event_sources(session, deployment, event, draft.source_ids)
        if draft.oversight_status:
            deployment.oversight_status = draft.oversight_status
    audit_edit(session, editor, "add_oversight_event", deployment)
    session.commit()
    return event, t.revision


def edit_oversight_event(
    *, session: Session, deployment: Deployment, event: OversightEvent, editor: User,
    draft: EventDraft,
) -> Revision | None:
    if event.deployment_id != deployment.id:
        raise EditError("This event belongs to another record.")
    with tracked(session, deployment, actor=editor,
                 summary=f"Edited oversight event #{event.id}") as t:
        for name, value in draft.fields.items():
            setattr(event, name, value)
        _event_sources(session, deployment, event, draft.source_ids)
        if draft.oversight_status:
            deployment.oversight_status = draft.oversight_status
    if t.revision is not None:
        audit_edit(session, editor, "edit_oversight_event", deployment)
    session.commit()
    return t.revision


def delete_oversight_event(
    *, session: Session, deployment: Deployment, event: OversightEvent, editor: User
) -> Revision:
    if event.deployment_id != deployment.id:
        raise EditError("This event belongs to another record.")
    with tracked(session, deployment, actor=editor,
                 summary=f"Removed oversight event #{event.id}") as t:
        session.exec(
            delete(OversightEventSource).where(col(OversightEventSource.event_id) == event.id)
        )
        session.delete(event)
    assert t.revision is not None
    audit_edit(session, editor, "delete_oversight_event", deployment)
    session.commit()
    return t.revision


# --- current values as form items ---------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value)


def source_form_items(*, source: Source, claim: str | None) -> list[tuple[str, str]]:
    values = {**{name: getattr(source, name) for name in SOURCE_FIELDS if name != "claim"},
              "claim": claim}
    return [(name, _text(values[name])) for name in SOURCE_FIELDS]


def event_form_items(*, session: Session, event: OversightEvent) -> list[tuple[str, str]]:
    items = [(name, _text(getattr(event, name))) for name in EVENT_FIELDS]
    items += [
        ("source_ids", str(source_id))
        for source_id in session.exec(
            select(OversightEventSource.source_id).where(OversightEventSource.event_id == event.id)
        )
    ]
    return items
