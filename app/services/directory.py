"""Paged lists of vendors and organisations with their published-deployment counts (for the API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import Deployment, DeploymentOperator, DeploymentVendor, Organisation, Vendor


@dataclass(frozen=True, slots=True)
class Counted:
    """A vendor or an organisation and the number of published deployments it appears in."""

    item: Any
    deployments: int


@dataclass(frozen=True, slots=True)
class Listing:
    total: int
    items: Sequence[Counted]


def _published_links(link: Any, key: Any) -> Any:
    return (
        select(key.label("party_id"), link.deployment_id)
        .join(Deployment, col(Deployment.id) == link.deployment_id)
        .where(col(Deployment.state) == "published")
        .subquery()
    )


def _page(
    session: Session, stmt: Any, total_of: Any, *, page: int, per_page: int
) -> Listing:
    total = int(session.execute(select(func.count()).select_from(total_of)).scalar_one())
    rows = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Listing(total=total, items=[Counted(item, n) for item, n in rows])


def list_vendors(*, session: Session, page: int = 1, per_page: int = 100) -> Listing:
    """Vendors by name, each with the number of published deployments naming it."""
    links = _published_links(DeploymentVendor, DeploymentVendor.vendor_id)
    count = func.count(func.distinct(links.c.deployment_id))
    stmt = (
        select(Vendor, count)
        .outerjoin(links, links.c.party_id == Vendor.id)
        .group_by(col(Vendor.id))
        .order_by(func.lower(Vendor.name), col(Vendor.id))
    )
    return _page(session, stmt, Vendor, page=page, per_page=per_page)


def list_organisations(*, session: Session, page: int = 1, per_page: int = 100) -> Listing:
    """Organisations by name, each with the number of published deployments it runs."""
    links = _published_links(DeploymentOperator, DeploymentOperator.organisation_id)
    count = func.count(func.distinct(links.c.deployment_id))
    stmt = (
        select(Organisation, count)
        .outerjoin(links, links.c.party_id == Organisation.id)
        .group_by(col(Organisation.id))
        .order_by(func.lower(Organisation.name), col(Organisation.id))
    )
    return _page(session, stmt, Organisation, page=page, per_page=per_page)
