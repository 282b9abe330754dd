"""The `Public` shapes the JSON API returns: never the table classes themselves.

No table here; these describe responses (and so the OpenAPI document).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field
from sqlmodel import SQLModel

from app.models.deployment import DeploymentBase, OversightEventBase, SourcePublic
from app.models.party import OrganisationPublic, VendorPublic


def _utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they are stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class DeploymentLinks(SQLModel):
    api: str = Field(description="This record in the API.")
    html: str = Field(description="The record's public page (its stable, citable address).")
    revisions: str = Field(description="The record's public revision history.")
    citation_bibtex: str
    citation_csl_json: str


class VendorRef(SQLModel):
    slug: str
    name: str
    country: str | None
    role: str = Field(description="prime|integrator|supplier|financier|broker")


class CapabilityRef(SQLModel):
    key: str
    label: str
    parent_key: str | None


class SourceRef(SourcePublic):
    claim: str | None = Field(description="The claim in the record this source supports.")
    position: int


class OversightEventPublic(OversightEventBase):
    id: int
    sources: list[SourcePublic]


class DeploymentSummaryPublic(DeploymentBase):
    """A deployment as the list gives it: its own fields, vendors and capability keys."""

    id: int
    created_at: UtcDatetime
    updated_at: UtcDatetime
    vendors: list[VendorRef]
    capabilities: list[str] = Field(description="Capability keys.")
    links: DeploymentLinks


class DeploymentPublic(DeploymentBase):
    """One deployment with everything it links to."""

    id: int
    created_at: UtcDatetime
    updated_at: UtcDatetime
    vendors: list[VendorRef]
    operators: list[OrganisationPublic]
    capabilities: list[CapabilityRef]
    sources: list[SourceRef]
    oversight_events: list[OversightEventPublic]
    links: DeploymentLinks


class PageLinks(SQLModel):
    self: str
    first: str
    last: str
    next: str | None
    prev: str | None


class DeploymentPage(SQLModel):
    total: int = Field(description="Records matching the search, on all pages.")
    page: int
    pages: int
    per_page: int
    query: dict[str, str | list[str]] = Field(description="The search as it was applied.")
    notes: list[str] = Field(description="What the search changed or could not use.")
    suggestion: str | None = Field(description="A corrected query when nothing matched.")
    links: PageLinks
    items: list[DeploymentSummaryPublic]


class VendorListItem(VendorPublic):
    deployments: int = Field(description="Published deployments naming this vendor.")
    api: str
    html: str


class VendorPage(SQLModel):
    total: int
    page: int
    pages: int
    per_page: int
    links: PageLinks
    items: list[VendorListItem]


class VendorDetailPublic(VendorPublic):
    parent: VendorPublic | None
    subsidiaries: list[VendorPublic]
    html: str
    deployments: str = Field(description="This vendor's deployments in the API.")


class OrganisationListItem(OrganisationPublic):
    deployments: int = Field(description="Published deployments this organisation runs.")


class OrganisationPage(SQLModel):
    total: int
    page: int
    pages: int
    per_page: int
    links: PageLinks
    items: list[OrganisationListItem]


class VocabularyTerm(SQLModel):
    key: str
    label: str
    explanation: str
    parent: str | None = None


class Vocabulary(SQLModel):
    name: str
    terms: list[VocabularyTerm]


class ValidationIssue(SQLModel):
    field: str
    message: str


class Problem(SQLModel):
    """An error as application/problem+json (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ValidationIssue] | None = Field(
        default=None, description="Each parameter that could not be used, and why."
    )
