"""Load the demo records (app/services/demo_data.py) idempotently.

Demo deployments are matched by slug among records marked `is_demo`; a second load writes
nothing, so `updated_at` stays put. A demo record that was edited is brought back to the data.
Vendors (by slug) and sources (by title and excerpt) are shared with real records, so they
are created when missing and never overwritten: a moderator's richer vendor entry wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app import search_index
from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentSource,
    DeploymentVendor,
    Source,
    Vendor,
)
from app.models.base import utcnow
from app.services.demo_data import DEMO_DEPLOYMENTS, DemoDeployment, DemoSource, DemoVendor

# What every demo record says about itself, whatever the data module holds.
_DEMO_CONSTANTS: dict[str, Any] = {
    "is_demo": True,
    "oversight_status": "unknown",  # not researched
    "verification": "unverified",  # one source
    "state": "published",
}


@dataclass(frozen=True, slots=True)
class DemoReport:
    created: int
    updated: int
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def load_demo(*, session: Session) -> DemoReport:
    """Create or refresh every demo deployment and commit; nothing is written when all match."""
    search_index.install()
    vendors: dict[str, Vendor] = {}
    sources: dict[tuple[str, str], Source] = {}
    created = updated = unchanged = 0
    for spec in DEMO_DEPLOYMENTS:
        deployment = session.exec(
            select(Deployment).where(Deployment.slug == spec.slug, col(Deployment.is_demo))
        ).first()
        if deployment is None:
            deployment = Deployment(**_fields(spec))
            session.add(deployment)
            session.flush()
            _sync_links(session, deployment, spec, vendors, sources)
            created += 1
            continue
        changed = _sync_fields(deployment, spec)
        changed = _sync_links(session, deployment, spec, vendors, sources) or changed
        if changed:
            deployment.updated_at = utcnow()
            updated += 1
        else:
            unchanged += 1
    session.commit()
    return DemoReport(created=created, updated=updated, unchanged=unchanged)


def _fields(spec: DemoDeployment) -> dict[str, Any]:
    return {
        "slug": spec.slug,
        "title": spec.title,
        "summary": spec.summary,
        "country": spec.country,
        "region": spec.region,
        "city": spec.city,
        "site": spec.site,
        "latitude": spec.latitude,
        "longitude": spec.longitude,
        "geo_precision": spec.geo_precision,
        "programme": spec.programme,
        "status": spec.status,
        "announced_on": spec.announced_on,
        "scale_note": spec.scale_note,
        **_DEMO_CONSTANTS,
    }


def _sync_fields(deployment: Deployment, spec: DemoDeployment) -> bool:
    changed = False
    for name, value in _fields(spec).items():
        # Assign only real differences, so an unchanged record never becomes dirty.
        if getattr(deployment, name) != value:
            setattr(deployment, name, value)
            changed = True
    return changed


def _sync_links(
    session: Session,
    deployment: Deployment,
    spec: DemoDeployment,
    vendors: dict[str, Vendor],
    sources: dict[tuple[str, str], Source],
) -> bool:
    assert deployment.id is not None
    deployment_id = deployment.id
    changed = False

    wanted_capabilities = set(spec.capabilities)
    for link in session.exec(
        select(DeploymentCapability).where(DeploymentCapability.deployment_id == deployment_id)
    ):
        if link.capability_key in wanted_capabilities:
            wanted_capabilities.discard(link.capability_key)
        else:
            session.delete(link)
            changed = True
    for key in sorted(wanted_capabilities):
        session.add(DeploymentCapability(deployment_id=deployment_id, capability_key=key))
        changed = True

    wanted_vendors: set[tuple[int, str]] = set()
    for demo_vendor, role in spec.vendors:
        vendor_id = _vendor(session, demo_vendor, vendors).id
        assert vendor_id is not None
        wanted_vendors.add((vendor_id, role))
    for vendor_link in session.exec(
        select(DeploymentVendor).where(DeploymentVendor.deployment_id == deployment_id)
    ):
        if (vendor_link.vendor_id, vendor_link.role) in wanted_vendors:
            wanted_vendors.discard((vendor_link.vendor_id, vendor_link.role))
        else:
            session.delete(vendor_link)
            changed = True
    for vendor_id, role in sorted(wanted_vendors):
        session.add(DeploymentVendor(deployment_id=deployment_id, vendor_id=vendor_id, role=role))
        changed = True

    wanted_sources: dict[int, tuple[str, int]] = {}
    for position, citation in enumerate(spec.citations):
        source_id = _source(session, citation.source, sources).id
        assert source_id is not None
        wanted_sources[source_id] = (citation.claim, position)
    for source_link in session.exec(
        select(DeploymentSource).where(DeploymentSource.deployment_id == deployment_id)
    ):
        wanted = wanted_sources.pop(source_link.source_id, None)
        if wanted is None:
            session.delete(source_link)
            changed = True
        elif (source_link.claim, source_link.position) != wanted:
            source_link.claim, source_link.position = wanted
            changed = True
    for source_id, (claim, position) in wanted_sources.items():
        session.add(DeploymentSource(
            deployment_id=deployment_id, source_id=source_id, claim=claim, position=position
        ))
        changed = True
    return changed


def _vendor(session: Session, spec: DemoVendor, cache: dict[str, Vendor]) -> Vendor:
    if spec.slug not in cache:
        vendor = session.exec(select(Vendor).where(Vendor.slug == spec.slug)).first()
        if vendor is None:
            vendor = Vendor(
                slug=spec.slug,
                name=spec.name,
                country=spec.country,
                ownership=spec.ownership,
                description=spec.description,
            )
            session.add(vendor)
            session.flush()
        cache[spec.slug] = vendor
    return cache[spec.slug]


def _source(
    session: Session, spec: DemoSource, cache: dict[tuple[str, str], Source]
) -> Source:
    key = (spec.title, spec.excerpt)
    if key not in cache:
        source = session.exec(
            select(Source).where(Source.title == spec.title, Source.excerpt == spec.excerpt)
        ).first()
        if source is None:
            # No URL and no publisher: the seed articles state neither.
            source = Source(title=spec.title, excerpt=spec.excerpt, source_type=spec.source_type)
            session.add(source)
            session.flush()
        cache[key] = source
    return cache[key]
