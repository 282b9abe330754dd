"""Every table, imported in one place so the metadata is complete."""

from app.models import base as base
from app.models.catalog_version import CatalogVersion
from app.models.contribution import EvidenceImage, Revision, Submission, SubmissionContact
from app.models.deployment import (
    Deployment,
    DeploymentBase,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentSource,
    DeploymentVendor,
    OversightEvent,
    OversightEventBase,
    OversightEventSource,
    Source,
    SourceBase,
    SourcePublic,
)
from app.models.party import (
    Organisation,
    OrganisationBase,
    OrganisationPublic,
    Vendor,
    VendorBase,
    VendorPublic,
)
from app.models.staff import AuditEntry, RateLimitBucket, RecoveryCode, StaffSession, User
from app.models.vocabulary import Capability, LifecycleStatus, OversightStatus

__all__ = [
    "AuditEntry",
    "Capability",
    "CatalogVersion",
    "Deployment",
    "DeploymentBase",
    "DeploymentCapability",
    "DeploymentOperator",
    "DeploymentSource",
    "DeploymentVendor",
    "EvidenceImage",
    "LifecycleStatus",
    "Organisation",
    "OrganisationBase",
    "OrganisationPublic",
    "OversightEvent",
    "OversightEventBase",
    "OversightEventSource",
    "OversightStatus",
    "RateLimitBucket",
    "RecoveryCode",
    "Revision",
    "Source",
    "SourceBase",
    "SourcePublic",
    "StaffSession",
    "Submission",
    "SubmissionContact",
    "User",
    "Vendor",
    "VendorBase",
    "VendorPublic",
]
