"""Duplicate candidates for a submission, and what differs between it and a record.

A moderator sees, beside a submission, the published records it might repeat, ranked by how
many signs point that way: the record a correction is about, the same city or country, a
shared vendor, a similar title (found through the full-text index, title column only) and
close dates. Each candidate comes with a field-by-field comparison, so the differences can be
highlighted and a merge can take exactly the submitted values that are new.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from sqlalchemy import func, literal_column, text
from sqlmodel import Session, col, select

from app.models import (
    Deployment,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentVendor,
    Organisation,
    Submission,
    Vendor,
)
from app.search_index import partial_year
from app.services.drafts import (
    DeploymentDraft,
    parse_deployment_form,
    proposal_form,
    proposed_keys,
)
from app.services.query import Term, fts5_expression, tsquery_expression
from app.services.revisions import Segment, display_value, field_label, word_diff
from app.text import fold, slugify, tokens

# Fields compared between a submission and a record, in the order they are shown.
COMPARED: tuple[str, ...] = (
    "title", "country", "region", "city", "site", "programme", "status", "announced_on",
    "started_on", "ended_on", "camera_count", "site_count", "scale_note", "summary",
    "vendors", "operators", "capabilities",
)
LIST_FIELDS = ("vendors", "operators", "capabilities")
SCALAR_FIELDS = tuple(name for name in COMPARED if name not in LIST_FIELDS)
POOL_LIMIT = 60
# Words too common in titles to say two records are alike.
_STOPWORDS = frozenset(
    ("the", "and", "for", "with", "from", "into", "des", "der", "die", "und", "els")
)
_TEXTS = ("title", "summary", "scale_note", "site", "programme")


@dataclass(frozen=True)
class Difference:
    field: str
    label: str
    proposed: str | None
    current: str | None
    same: bool
    segments: list[Segment] = default(default_factory=list)  # current -> proposed, word by word
    new_items: list[str] = default(default_factory=list)  # for lists: proposed, not in the record

    @property
    def only_proposed(self) -> bool:
        return self.proposed is not None and self.current is None


@dataclass(frozen=True)
class Candidate:
    deployment: Deployment
    score: float
    reasons: list[str]
    differences: list[Difference]


@dataclass(frozen=True)
class Proposal:
    """A submission's proposed values, checked by the staff form's rules."""

    draft: DeploymentDraft
    errors: dict[str, str]
    keys: set[str]  # what the submitter filled in

    def value(self, name: str) -> Any:
        if name in self.errors:
            return None
        if name == "vendors":
            return [f"{v.name} ({v.role})" for v in self.draft.vendors]
        if name == "operators":
            return [o.name for o in self.draft.operators]
        if name == "capabilities":
            return list(self.draft.capabilities)
        return self.draft.fields.get(name)


def read_proposal(proposed: Mapping[str, Any]) -> Proposal:
    draft, errors = parse_deployment_form(proposal_form(proposed), with_sources=False)
    return Proposal(draft=draft, errors=errors, keys=proposed_keys(proposed))


def record_values(*, session: Session, deployment: Deployment) -> dict[str, Any]:
    """The compared fields of a record, in the same shapes as Proposal.value."""
    values: dict[str, Any] = {name: getattr(deployment, name) for name in SCALAR_FIELDS}
    values["vendors"] = sorted(
        f"{name} ({role})"
        for name, role in session.exec(
            select(Vendor.name, DeploymentVendor.role)
            .join(DeploymentVendor, col(DeploymentVendor.vendor_id) == Vendor.id)
            .where(DeploymentVendor.deployment_id == deployment.id)
        )
    )
    values["operators"] = sorted(
        session.exec(
            select(Organisation.name)
            .join(DeploymentOperator, col(DeploymentOperator.organisation_id) == Organisation.id)
            .where(DeploymentOperator.deployment_id == deployment.id)
        )
    )
    values["capabilities"] = list(
        session.exec(
            select(DeploymentCapability.capability_key).where(
                DeploymentCapability.deployment_id == deployment.id
            )
        )
    )
    return values


def _comparable(name: str, value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if name == "vendors":
        return {slugify(v.rsplit(" (", 1)[0]) for v in value}
    if name in LIST_FIELDS:
        return {fold(str(v)) for v in value}
    if isinstance(value, str):
        return " ".join(tokens(value))
    return value


def compare(*, proposal: Proposal, current: Mapping[str, Any]) -> list[Difference]:
    """The fields the submitter filled in, each against the record's value."""
    differences: list[Difference] = []
    for name in COMPARED:
        if name not in proposal.keys:
            continue
        proposed, existing = proposal.value(name), current.get(name)
        if proposed is None:
            continue
        same = _comparable(name, proposed) == _comparable(name, existing)
        segments: list[Segment] = []
        if not same and name in _TEXTS and isinstance(proposed, str) and isinstance(existing, str):
            segments = word_diff(existing, proposed) if existing else []
        new_items: list[str] = []
        if name in LIST_FIELDS:
            have = _comparable(name, existing) or set()
            new_items = [
                str(display_value(name, item))
                for item in proposed
                if (_comparable(name, [item]) or set()) - have
            ]
        differences.append(
            Difference(
                field=name,
                label=field_label(name),
                proposed=display_value(name, proposed),
                current=display_value(name, existing),
                same=same,
                segments=segments,
                new_items=new_items,
            )
        )
    return differences


# --- finding candidates -------------------------------------------------------------------------


def _title_matches(session: Session, title: str) -> dict[int, int]:
    """Published records whose title shares words with this one: id -> rank (0 = best)."""
    words = [w for w in dict.fromkeys(tokens(title)) if len(w) > 2 and w not in _STOPWORDS][:12]
    if not words:
        return {}
    terms = tuple(Term((word,)) for word in words)
    if session.get_bind().dialect.name == "sqlite":
        expression = "{title} : (" + fts5_expression(terms, joiner=" OR ") + ")"
        matches = (
            select(literal_column("rowid").label("id"), literal_column("rank").label("score"))
            .select_from(text("deployment_fts"))
            .where(text("deployment_fts MATCH :similar").bindparams(similar=expression))
            .subquery()
        )
    else:
        # Weight A holds titles (and party names): the closest a tsvector gets to one column.
        expression = " | ".join(part + ":A" for part in tsquery_expression(terms).split(" & "))
        query = text("CAST(:similar AS tsquery)").bindparams(similar=expression)
        matches = (
            select(
                literal_column("deployment_id").label("id"),
                (-func.ts_rank_cd(literal_column("document"), query)).label("score"),
            )
            .select_from(text("deployment_search"))
            .where(literal_column("document").op("@@")(query))
            .subquery()
        )
    rows = session.exec(
        select(Deployment.id)
        .join(matches, matches.c.id == Deployment.id)
        .where(col(Deployment.state) == "published")
        .order_by(matches.c.score, col(Deployment.id).desc())
        .limit(POOL_LIMIT)
    ).all()
    return {deployment_id: rank for rank, deployment_id in enumerate(rows) if deployment_id}


def _vendor_matches(session: Session, names: list[str]) -> dict[int, list[str]]:
    slugs = [slugify(name) for name in names]
    if not slugs:
        return {}
    found: dict[int, list[str]] = {}
    for deployment_id, name in session.exec(
        select(DeploymentVendor.deployment_id, Vendor.name)
        .join(Vendor, col(Vendor.id) == DeploymentVendor.vendor_id)
        .join(Deployment, col(Deployment.id) == DeploymentVendor.deployment_id)
        .where(col(Vendor.slug).in_(slugs), col(Deployment.state) == "published")
        .order_by(col(Deployment.id).desc())
        .limit(POOL_LIMIT * 2)
    ):
        if name not in found.setdefault(deployment_id, []):
            found[deployment_id].append(name)
    return found


def _place_matches(session: Session, country: str | None) -> list[int]:
    if not country:
        return []
    return [
        i
        for i in session.exec(
            select(Deployment.id)
            .where(Deployment.country == country, col(Deployment.state) == "published")
            .order_by(col(Deployment.id).desc())
            .limit(POOL_LIMIT)
        )
        if i is not None
    ]


def _years(values: list[str | None]) -> set[int]:
    return {year for year in (partial_year(v) for v in values) if year is not None}


def duplicate_candidates(
    *, session: Session, submission: Submission, limit: int = 8
) -> list[Candidate]:
    """Published records this submission may repeat, most likely first, with the reasons."""
    proposal = read_proposal(submission.proposed)
    target = (
        session.get(Deployment, submission.target_deployment_id)
        if submission.target_deployment_id
        else None
    )
    country = proposal.value("country") or (target.country if target else None)
    city = proposal.value("city")
    title = proposal.value("title") or ""
    titles = _title_matches(session, title) if title else {}
    vendors = _vendor_matches(session, [v.name for v in proposal.draft.vendors])
    pool = set(titles) | set(vendors) | set(_place_matches(session, country))
    if target is not None and target.id is not None:
        pool.add(target.id)
    proposed_years = _years([proposal.value("announced_on"), proposal.value("started_on")])
    candidates: list[Candidate] = []
    for deployment in session.exec(select(Deployment).where(col(Deployment.id).in_(pool))):
        assert deployment.id is not None
        score, reasons = 0.0, []
        if target is not None and deployment.id == target.id:
            score += 100
            reasons.append("The record this submission is about")
        if country and deployment.country == country:
            score += 1
            reasons.append(f"Same country: {display_value('country', country)}")
            if city and deployment.city and fold(deployment.city) == fold(city):
                score += 3
                reasons.append(f"Same city: {deployment.city}")
        elif country:
            score -= 2  # a look-alike abroad is rarely the same deployment
        shared = vendors.get(deployment.id, [])
        if shared:
            score += 3 * min(len(shared), 2)
            reasons.append("Shared vendor: " + ", ".join(shared))
        if deployment.id in titles:
            alike = difflib.SequenceMatcher(a=tokens(title), b=tokens(deployment.title)).ratio()
            score += 2 + 4 * alike
            reasons.append(f"Similar title ({round(alike * 100)}% of words alike)")
        years = _years([deployment.announced_on, deployment.started_on])
        if proposed_years and years:
            gap = min(abs(a - b) for a in proposed_years for b in years)
            if gap <= 1:
                score += 2 - gap
                reasons.append("Same year" if gap == 0 else "Dates a year apart")
        if score <= 1:  # the same country alone says little
            continue
        differences = compare(
            proposal=proposal, current=record_values(session=session, deployment=deployment)
        )
        candidates.append(Candidate(deployment, score, reasons, differences))
    candidates.sort(key=lambda c: (-c.score, -(c.deployment.id or 0)))
    return candidates[:limit]
