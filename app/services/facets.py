"""Facet counts beside the results: each facet counts the search without its own filter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from app import vocab
from app.models import Deployment, DeploymentCapability, DeploymentVendor, Vendor
from app.search_index import country_name
from app.services.search_filters import Conditions
from app.services.search_params import FACETS, LABELS, VOCAB_FIELDS, SearchParams

FACET_LIMIT = 25


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


def facet_counts(
    session: Session, params: SearchParams, conditions: Conditions
) -> dict[str, list[FacetValue]]:
    facets: dict[str, list[FacetValue]] = {}
    columns = {
        "country": Deployment.country,
        "status": Deployment.status,
        "oversight": Deployment.oversight_status,
        "verification": Deployment.verification,
    }
    for name, column in columns.items():
        rows = session.execute(
            select(col(column), func.count())
            .where(*conditions.all(without=name))
            .group_by(col(column))
        ).all()
        counts = {value: count for value, count in rows}
        facets[name] = facet_values(name, counts, getattr(params, name))
    facets["vendor"] = _vendor_facet(session, params, conditions)
    facets["capability"] = _capability_facet(session, params, conditions)
    return {name: facets[name] for name in FACETS}


def facet_values(name: str, counts: dict[str, int], selected: Sequence[str]) -> list[FacetValue]:
    if name in LABELS:  # vocabularies keep their own order, so the list does not jump about
        order = [t.key for t in VOCAB_FIELDS[name]]
        keys = [k for k in order if counts.get(k) or k in selected]
        labels = LABELS[name]
    else:
        keys = sorted(counts, key=lambda k: (-counts[k], country_name(k)))[:FACET_LIMIT]
        keys += [k for k in selected if k not in keys]
        labels = {k: country_name(k) for k in keys}
    return [FacetValue(k, labels.get(k, k), counts.get(k, 0), k in selected) for k in keys]


def _matching_ids(conditions: Conditions, without: str) -> Select[Any]:
    return select(Deployment.id).where(*conditions.all(without=without))


def _vendor_facet(
    session: Session, params: SearchParams, conditions: Conditions
) -> list[FacetValue]:
    count = func.count(func.distinct(DeploymentVendor.deployment_id))
    rows = session.execute(
        select(Vendor.slug, Vendor.name, count)
        .join(DeploymentVendor, col(DeploymentVendor.vendor_id) == Vendor.id)
        .where(col(DeploymentVendor.deployment_id).in_(_matching_ids(conditions, "vendor")))
        .group_by(col(Vendor.id), col(Vendor.slug), col(Vendor.name))
        .order_by(count.desc(), col(Vendor.name))
        .limit(FACET_LIMIT)
    ).all()
    values = [FacetValue(slug, name, n, slug in params.vendor) for slug, name, n in rows]
    missing = [s for s in params.vendor if s not in {v.value for v in values}]
    if missing:
        for slug, name in session.execute(
            select(Vendor.slug, Vendor.name).where(col(Vendor.slug).in_(missing))
        ):
            values.append(FacetValue(slug, name, 0, True))
    return values


def _capability_facet(
    session: Session, params: SearchParams, conditions: Conditions
) -> list[FacetValue]:
    matching = _matching_ids(conditions, "capability")
    direct = dict(
        session.execute(
            select(
                DeploymentCapability.capability_key,
                func.count(func.distinct(DeploymentCapability.deployment_id)),
            )
            .where(col(DeploymentCapability.deployment_id).in_(matching))
            .group_by(col(DeploymentCapability.capability_key))
        ).all()
    )
    # A parent counts every deployment that has it or any of its children.
    parents = {t.parent for t in vocab.CAPABILITIES if t.parent}
    for parent in parents:
        if any(direct.get(k) for k in vocab.capability_with_descendants(parent)):
            direct[parent] = _parent_count(session, matching, parent)
    values: list[FacetValue] = []
    for term in vocab.CAPABILITIES:
        count = direct.get(term.key, 0)
        if count or term.key in params.capability:
            label = term.label if term.parent is None else f"– {term.label}"
            values.append(FacetValue(term.key, label, count, term.key in params.capability))
    return values


def _parent_count(session: Session, matching: Select[Any], key: str) -> int:
    keys = sorted(vocab.capability_with_descendants(key))
    return int(
        session.execute(
            select(func.count(func.distinct(DeploymentCapability.deployment_id))).where(
                col(DeploymentCapability.deployment_id).in_(matching),
                col(DeploymentCapability.capability_key).in_(keys),
            )
        ).scalar_one()
    )
