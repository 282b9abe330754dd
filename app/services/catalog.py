"""Reading the public catalog: one record with everything it links to, vendors, the home page.

Lists of deployments go through app.services.search, so every page lists them the same way.
Each function runs a fixed, small number of queries whatever the size of the record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pycountry
from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.models import (
    Capability,
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

PUBLIC_STATES = ("published", "archived")
# Ids beyond a signed 64-bit integer cannot exist, and SQLite refuses to bind them.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class VendorRole:
    vendor: Vendor
    role: str


@dataclass(frozen=True)
class CapabilityRef:
    key: str
    label: str
    description: str
    parent_key: str | None
    parent_label: str | None


@dataclass(frozen=True)
class SourceClaim:
    source: Source
    claim: str | None
    position: int


@dataclass(frozen=True)
class OversightEntry:
    event: OversightEvent
    sources: list[Source]


@dataclass(frozen=True)
class DeploymentDetail:
    deployment: Deployment
    vendors: list[VendorRole]
    operators: list[Organisation]
    capabilities: list[CapabilityRef]
    sources: list[SourceClaim]
    oversight_events: list[OversightEntry]

    @property
    def id(self) -> int:
        assert self.deployment.id is not None
        return self.deployment.id


@dataclass(frozen=True)
class HomeSummary:
    deployments: int
    countries: int
    vendors: int


@dataclass(frozen=True)
class VendorListing:
    vendor: Vendor
    deployments: int


@dataclass(frozen=True)
class VendorDetail:
    vendor: Vendor
    parent: Vendor | None
    subsidiaries: list[Vendor] = field(default_factory=list)


@dataclass(frozen=True)
class CountryInfo:
    code: str
    name: str


@dataclass(frozen=True)
class CapabilityDetail:
    capability: Capability
    parent: Capability | None
    children: list[Capability]


def get_deployment_detail(*, session: Session, deployment_id: int) -> DeploymentDetail | None:
    """A published or archived record with its parties, capabilities, sources and oversight."""
    if not 0 < deployment_id <= MAX_ID:
        return None
    deployment = session.get(Deployment, deployment_id)
    if deployment is None or deployment.state not in PUBLIC_STATES:
        return None
    vendors = [
        VendorRole(vendor=vendor, role=role)
        for vendor, role in session.exec(
            select(Vendor, DeploymentVendor.role)
            .join(DeploymentVendor, col(DeploymentVendor.vendor_id) == Vendor.id)
            .where(DeploymentVendor.deployment_id == deployment_id)
            .order_by(col(Vendor.name), col(DeploymentVendor.role))
        )
    ]
    operators = list(
        session.exec(
            select(Organisation)
            .join(DeploymentOperator, col(DeploymentOperator.organisation_id) == Organisation.id)
            .where(DeploymentOperator.deployment_id == deployment_id)
            .order_by(col(Organisation.name))
        )
    )
    return DeploymentDetail(
        deployment=deployment,
        vendors=vendors,
        operators=operators,
        capabilities=_capabilities(session, deployment_id),
        sources=_sources(session, deployment_id),
        oversight_events=_oversight_events(session, deployment_id),
    )


def _capabilities(session: Session, deployment_id: int) -> list[CapabilityRef]:
    parent = aliased(Capability)
    rows = session.exec(
        select(Capability, parent.label)
        .join(DeploymentCapability, col(DeploymentCapability.capability_key) == Capability.key)
        .outerjoin(parent, col(parent.key) == Capability.parent_key)
        .where(DeploymentCapability.deployment_id == deployment_id)
        .order_by(col(Capability.position), col(Capability.key))
    )
    return [
        CapabilityRef(
            key=cap.key, label=cap.label, description=cap.description,
            parent_key=cap.parent_key, parent_label=parent_label,
        )
        for cap, parent_label in rows
    ]


def _sources(session: Session, deployment_id: int) -> list[SourceClaim]:
    rows = session.exec(
        select(Source, DeploymentSource.claim, DeploymentSource.position)
        .join(DeploymentSource, col(DeploymentSource.source_id) == Source.id)
        .where(DeploymentSource.deployment_id == deployment_id)
        .order_by(col(DeploymentSource.position), col(Source.id))
    )
    return [SourceClaim(source=source, claim=claim, position=pos) for source, claim, pos in rows]


def _oversight_events(session: Session, deployment_id: int) -> list[OversightEntry]:
    events = list(
        session.exec(select(OversightEvent).where(OversightEvent.deployment_id == deployment_id))
    )
    if not events:
        return []
    sources: dict[int, list[Source]] = defaultdict(list)
    for event_id, source in session.exec(
        select(OversightEventSource.event_id, Source)
        .join(Source, col(Source.id) == OversightEventSource.source_id)
        .where(col(OversightEventSource.event_id).in_([e.id for e in events]))
        .order_by(col(Source.published_on), col(Source.id))
    ):
        sources[event_id].append(source)
    # Partial dates ("2019", "2019-03", "2019-03-05") sort correctly as text; undated ones last.
    events.sort(key=lambda e: (e.date is None, e.date or "", e.id or 0))
    return [OversightEntry(event=e, sources=sources.get(e.id or 0, [])) for e in events]


def home_summary(*, session: Session) -> HomeSummary:
    published = col(Deployment.state) == "published"
    deployments, countries = session.exec(
        select(func.count(), func.count(func.distinct(Deployment.country))).where(published)
    ).one()
    vendors = session.exec(
        select(func.count(func.distinct(DeploymentVendor.vendor_id)))
        .join(Deployment, col(Deployment.id) == DeploymentVendor.deployment_id)
        .where(published)
    ).one()
    return HomeSummary(deployments=deployments, countries=countries, vendors=vendors)


def list_vendors(*, session: Session) -> list[VendorListing]:
    """Every vendor with the number of published deployments it appears in, by name."""
    published_links = (
        select(DeploymentVendor.vendor_id, DeploymentVendor.deployment_id)
        .join(Deployment, col(Deployment.id) == DeploymentVendor.deployment_id)
        .where(col(Deployment.state) == "published")
        .subquery()
    )
    count = func.count(func.distinct(published_links.c.deployment_id))
    rows = session.exec(
        select(Vendor, count)
        .outerjoin(published_links, published_links.c.vendor_id == Vendor.id)
        .group_by(col(Vendor.id))
        .order_by(func.lower(Vendor.name), col(Vendor.id))
    )
    return [VendorListing(vendor=vendor, deployments=n) for vendor, n in rows]


def vendor_names(*, session: Session) -> list[str]:
    """Every vendor's name, A–Z: the choices staff forms offer for a record's vendors."""
    return list(session.exec(select(Vendor.name).order_by(col(Vendor.name))).all())


def get_vendor(*, session: Session, slug: str) -> VendorDetail | None:
    if "\x00" in slug:  # PostgreSQL refuses NUL in text; no slug holds one
        return None
    vendor = session.exec(select(Vendor).where(Vendor.slug == slug.lower())).first()
    if vendor is None:
        return None
    parent = session.get(Vendor, vendor.parent_id) if vendor.parent_id is not None else None
    subsidiaries = list(
        session.exec(select(Vendor).where(Vendor.parent_id == vendor.id).order_by(col(Vendor.name)))
    )
    return VendorDetail(vendor=vendor, parent=parent, subsidiaries=subsidiaries)


def get_country(*, code: str) -> CountryInfo | None:
    """An ISO 3166-1 alpha-2 country, whatever the case it was written in."""
    code = code.strip().upper()
    if len(code) != 2 or not code.isalpha() or not code.isascii():
        return None
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    return CountryInfo(code=code, name=str(country.name))


def get_capability(*, session: Session, key: str) -> CapabilityDetail | None:
    if "\x00" in key:  # PostgreSQL refuses NUL in text; no key holds one
        return None
    capability = session.get(Capability, key)
    if capability is None:
        return None
    parent = session.get(Capability, capability.parent_key) if capability.parent_key else None
    children = list(
        session.exec(
            select(Capability)
            .where(Capability.parent_key == capability.key)
            .order_by(col(Capability.position), col(Capability.key))
        )
    )
    return CapabilityDetail(capability=capability, parent=parent, children=children)
