"""Every table, imported in one place so the metadata is complete."""

from app.models import base as base
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
from app.models.vocabulary import Capability, LifecycleStatus, OversightStatus

__all__ = [
    "Capability",
    "Deployment",
    "DeploymentBase",
    "DeploymentCapability",
    "DeploymentOperator",
    "DeploymentSource",
    "DeploymentVendor",
    "LifecycleStatus",
    "Organisation",
    "OrganisationBase",
    "OrganisationPublic",
    "OversightEvent",
    "OversightEventBase",
    "OversightEventSource",
    "OversightStatus",
    "Source",
    "SourceBase",
    "SourcePublic",
    "Vendor",
    "VendorBase",
    "VendorPublic",
]
