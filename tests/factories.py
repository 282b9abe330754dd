"""Test data through the ORM: small helpers that build and commit records with their links."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count
from typing import Any

from sqlmodel import Session

from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentSource,
    DeploymentVendor,
    Organisation,
    OversightEvent,
    OversightEventSource,
    Source,
    Vendor,
)
from app.text import slugify

_serial = count(1)


def make_vendor(session: Session, name: str = "", **fields: Any) -> Vendor:
    name = name or f"Vendor {next(_serial)}"
    vendor = Vendor(name=name, slug=fields.pop("slug", slugify(name)), **fields)
    session.add(vendor)
    session.commit()
    session.refresh(vendor)
    return vendor


def make_organisation(session: Session, name: str = "", **fields: Any) -> Organisation:
    name = name or f"Organisation {next(_serial)}"
    organisation = Organisation(name=name, slug=fields.pop("slug", slugify(name)), **fields)
    session.add(organisation)
    session.commit()
    session.refresh(organisation)
    return organisation


def make_source(session: Session, title: str = "", **fields: Any) -> Source:
    source = Source(title=title or f"Source {next(_serial)}", **fields)
    session.add(source)
    session.commit()
    session.refresh(source)
    return source


def make_deployment(
    session: Session,
    title: str = "",
    *,
    vendors: Sequence[tuple[Vendor, str]] = (),
    operators: Sequence[Organisation] = (),
    capabilities: Sequence[str] = (),
    sources: Sequence[Source | tuple[Source, str]] = (),
    **fields: Any,
) -> Deployment:
    """A deployment (published, in Serbia, by default) with its links, committed."""
    title = title or f"Deployment {next(_serial)}"
    fields.setdefault("country", "RS")
    fields.setdefault("summary", f"Summary of {title}.")
    deployment = Deployment(title=title, slug=fields.pop("slug", slugify(title)), **fields)
    session.add(deployment)
    session.flush()
    assert deployment.id is not None
    for vendor, role in vendors:
        assert vendor.id is not None
        session.add(DeploymentVendor(deployment_id=deployment.id, vendor_id=vendor.id, role=role))
    for organisation in operators:
        assert organisation.id is not None
        session.add(
            DeploymentOperator(deployment_id=deployment.id, organisation_id=organisation.id)
        )
    for key in capabilities:
        session.add(DeploymentCapability(deployment_id=deployment.id, capability_key=key))
    for position, item in enumerate(sources):
        source, claim = item if isinstance(item, tuple) else (item, None)
        assert source.id is not None
        session.add(
            DeploymentSource(
                deployment_id=deployment.id, source_id=source.id, claim=claim, position=position
            )
        )
    session.commit()
    session.refresh(deployment)
    return deployment


def make_oversight_event(
    session: Session, deployment: Deployment, *, sources: Sequence[Source] = (), **fields: Any
) -> OversightEvent:
    assert deployment.id is not None
    event = OversightEvent(deployment_id=deployment.id, **fields)
    session.add(event)
    session.flush()
    assert event.id is not None
    for source in sources:
        assert source.id is not None
        session.add(OversightEventSource(event_id=event.id, source_id=source.id))
    session.commit()
    session.refresh(event)
    return event
