"""The WHERE clauses and ORDER BY of a search, shared by result pages, facets and exports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, or_, text
from sqlmodel import Session, col, select

from app import vocab
from app.models import Deployment, DeploymentCapability, DeploymentVendor, Vendor
from app.search_index import SQLITE_WEIGHTS
from app.services.query import ParsedQuery, Term, fts5_expression, tsquery_expression
from app.services.search_params import SearchParams


def vendor_ids_for(
    session: Session, slugs: Sequence[str], errors: dict[str, str]
) -> dict[str, int]:
    if not slugs:
        return {}
    rows = session.execute(select(Vendor.slug, Vendor.id).where(col(Vendor.slug).in_(slugs))).all()
    found = {slug: vid for slug, vid in rows if vid is not None}
    missing = [s for s in slugs if s not in found]
    if missing:
        shown = ", ".join(f"“{s[:40]}”" for s in missing[:3])
        errors["vendor"] = f"Unknown vendor: {shown}. Pick one from the list."
    return found


@dataclass
class Conditions:
    """WHERE clauses by facet, so each facet can be counted without its own filter."""

    base: list[ColumnElement[bool]]
    by_facet: dict[str, ColumnElement[bool]]
    score: Any = None  # a subquery (id, score) when the query has positive terms

    def all(self, *, without: str | None = None, matched: bool = True) -> list[ColumnElement[bool]]:
        """Every clause but one facet's; matched=False leaves out the full-text match for a
        caller that joins the scored matches instead."""
        match = (
            [col(Deployment.id).in_(select(self.score.c.id))]
            if matched and self.score is not None
            else []
        )
        return [*self.base, *match, *(c for name, c in self.by_facet.items() if name != without)]


def build_conditions(
    session: Session, params: SearchParams, parsed: ParsedQuery, vendor_ids: dict[str, int]
) -> Conditions:
    base: list[ColumnElement[bool]] = [col(Deployment.state) == "published"]
    by_facet: dict[str, ColumnElement[bool]] = {}
    if params.country:
        by_facet["country"] = col(Deployment.country).in_(params.country)
    if params.status:
        by_facet["status"] = col(Deployment.status).in_(params.status)
    if params.oversight:
        by_facet["oversight"] = col(Deployment.oversight_status).in_(params.oversight)
    if params.verification:
        by_facet["verification"] = col(Deployment.verification).in_(params.verification)
    if params.vendor and vendor_ids:
        by_facet["vendor"] = col(Deployment.id).in_(
            select(DeploymentVendor.deployment_id).where(
                col(DeploymentVendor.vendor_id).in_(vendor_ids.values())
            )
        )
    if params.capability:
        keys = set().union(*(vocab.capability_with_descendants(k) for k in params.capability))
        by_facet["capability"] = col(Deployment.id).in_(
            select(DeploymentCapability.deployment_id).where(
                col(DeploymentCapability.capability_key).in_(sorted(keys))
            )
        )
    if params.year_from is not None:
        base.append(
            or_(
                col(Deployment.ended_year).is_(None), col(Deployment.ended_year) >= params.year_from
            )
        )
        base.append(col(Deployment.first_year).is_not(None))
    if params.year_to is not None:
        base.append(col(Deployment.first_year) <= params.year_to)
    dialect = session.get_bind().dialect.name
    score = None
    if parsed.positive:
        score = match_subquery(dialect, parsed.positive)
    if parsed.negative:
        excluded = match_subquery(dialect, parsed.negative, any_of=True)
        base.append(col(Deployment.id).not_in(select(excluded.c.id)))
    return Conditions(base=base, by_facet=by_facet, score=score)


def match_subquery(dialect: str, terms: tuple[Term, ...], *, any_of: bool = False) -> Any:
    name = "excluded_terms" if any_of else "matched_terms"  # distinct binds for the two subqueries
    if dialect == "sqlite":
        expression = fts5_expression(terms, joiner=" OR " if any_of else " ")
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        return (
            select(
                literal_column("rowid").label("id"),
                literal_column(f"bm25(deployment_fts, {weights})").label("score"),
            )
            .select_from(text("deployment_fts"))
            .where(text(f"deployment_fts MATCH :{name}").bindparams(**{name: expression}))
            .subquery()
        )
    expression = tsquery_expression(terms, joiner=" | " if any_of else " & ")
    query = text(f"CAST(:{name} AS tsquery)").bindparams(**{name: expression})
    return (
        select(
            literal_column("deployment_id").label("id"),
            (-func.ts_rank_cd(literal_column("document"), query)).label("score"),
        )
        .select_from(text("deployment_search"))
        .where(literal_column("document").op("@@")(query))
        .subquery()
    )


def order_by_sort(stmt: Select[Any], params: SearchParams, conditions: Conditions) -> Select[Any]:
    sort = params.effective_sort
    if sort == "relevance" and conditions.score is not None:
        stmt = stmt.join(conditions.score, conditions.score.c.id == Deployment.id)
        return stmt.order_by(conditions.score.c.score, col(Deployment.id).desc())
    if sort == "updated":
        return stmt.order_by(col(Deployment.updated_at).desc(), col(Deployment.id).desc())
    if sort == "title":
        return stmt.order_by(col(Deployment.title_sort), col(Deployment.id))
    return stmt.order_by(col(Deployment.id).desc())
