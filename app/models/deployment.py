"""The deployment record and what it links to: vendors, operators, capabilities, sources."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, Index, Numeric
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class DeploymentBase(SQLModel):
    slug: str = Field(max_length=200)
    title: str = Field(max_length=300)
    summary: str = ""
    country: str = Field(max_length=2, index=True)
    region: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=200)
    site: str | None = Field(default=None, max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: str = Field(default="country", max_length=16)
    programme: str | None = Field(default=None, max_length=200)
    status: str = Field(default="unknown", foreign_key="lifecycle_status.key", index=True)
    # Partial dates: "YYYY", "YYYY-MM" or "YYYY-MM-DD"; the length is the precision.
    announced_on: str | None = Field(default=None, max_length=10)
    started_on: str | None = Field(default=None, max_length=10)
    ended_on: str | None = Field(default=None, max_length=10)
    camera_count: int | None = None
    site_count: int | None = None
    scale_note: str | None = Field(default=None, max_length=300)
    financing: str | None = Field(default=None, max_length=200)
    funder: str | None = Field(default=None, max_length=200)
    contract_value: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    currency: str | None = Field(default=None, max_length=3)
    oversight_status: str = Field(default="unknown", foreign_key="oversight_status.key", index=True)
    verification: str = Field(default="unverified", max_length=16, index=True)
    last_verified_on: date | None = None
    state: str = Field(default="published", max_length=16, index=True)
    archived_reason: str | None = None
    is_demo: bool = False


class Deployment(DeploymentBase, table=True):
    # AUTOINCREMENT on SQLite so an id is never reused, as on PostgreSQL. The (state, column)
    # indexes cover a facet's GROUP BY over published records (BENCHMARKS.md).
    __table_args__ = (
        Index("ix_deployment_state_country", "state", "country"),
        Index("ix_deployment_state_status", "state", "status"),
        Index("ix_deployment_state_oversight_status", "state", "oversight_status"),
        Index("ix_deployment_state_verification", "state", "verification"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    # Years derived from the partial dates (app/models/hooks.py keeps them in step).
    first_year: int | None = Field(default=None, index=True)
    ended_year: int | None = None
    # Folded title for an A–Z order that is the same on both backends and ignores accents.
    title_sort: str = Field(default="", max_length=300, index=True)
    # The record's key in the dataset it was imported from, e.g. "aos:AOS000123" for an Atlas of
    # Surveillance row, so importing the same file again finds the record (app/services/imports.py).
    external_ref: str | None = Field(default=None, max_length=100, unique=True, index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True),
    )


class DeploymentVendor(SQLModel, table=True):
    __tablename__ = "deployment_vendor"
    # (vendor, deployment) rather than vendor alone: a vendor's records from the index only.
    __table_args__ = (
        Index("ix_deployment_vendor_vendor_id_deployment_id", "vendor_id", "deployment_id"),
    )
    deployment_id: int = Field(foreign_key="deployment.id", primary_key=True, ondelete="CASCADE")
    vendor_id: int = Field(foreign_key="vendor.id", primary_key=True)
    role: str = Field(default="supplier", primary_key=True, max_length=16)


class DeploymentOperator(SQLModel, table=True):
    __tablename__ = "deployment_operator"
    deployment_id: int = Field(foreign_key="deployment.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)


class DeploymentCapability(SQLModel, table=True):
    __tablename__ = "deployment_capability"
    __table_args__ = (
        Index(
            "ix_deployment_capability_capability_key_deployment_id",
            "capability_key",
            "deployment_id",
        ),
    )
    deployment_id: int = Field(foreign_key="deployment.id", primary_key=True, ondelete="CASCADE")
    capability_key: str = Field(foreign_key="capability.key", primary_key=True)


class SourceBase(SQLModel):
    url: str | None = Field(default=None, max_length=2000)
    title: str = Field(max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    published_on: str | None = Field(default=None, max_length=10)
    archived_url: str | None = Field(default=None, max_length=2000)
    source_type: str = Field(default="news", max_length=16)
    excerpt: str | None = Field(default=None, max_length=400)
    accessed_on: date | None = None


class Source(SourceBase, table=True):
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)


class SourcePublic(SourceBase):
    id: int


class DeploymentSource(SQLModel, table=True):
    __tablename__ = "deployment_source"
    deployment_id: int = Field(foreign_key="deployment.id", primary_key=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="source.id", primary_key=True, index=True)
    claim: str | None = Field(default=None, max_length=400)
    position: int = 0


class OversightEventBase(SQLModel):
    date: str | None = Field(default=None, max_length=10)
    kind: str = Field(default="other", max_length=32)
    body: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, max_length=300)
    description: str = ""


class OversightEvent(OversightEventBase, table=True):
    __tablename__ = "oversight_event"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    deployment_id: int = Field(foreign_key="deployment.id", index=True, ondelete="CASCADE")


class OversightEventSource(SQLModel, table=True):
    __tablename__ = "oversight_event_source"
    event_id: int = Field(foreign_key="oversight_event.id", primary_key=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="source.id", primary_key=True, index=True)
