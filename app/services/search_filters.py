"""The WHERE clauses and ORDER BY of a search, shared by result pages, facets and exports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, func, literal_column, or_, text
from sqlmodel import Session, col, select

from app import vocab
from app.models import Deployment, DeploymentCapability, DeploymentVendor, Vendor
from app.search_index import SQLITE_WEIGHTS
from app.services.query import ParsedQuery, Term, fts5_expression, tsquery_expression
from app.services.search_params import SearchParams

# Ranking by relevance scores every record the words match (bm25 in FTS5, ts_rank_cd in
# PostgreSQL): ~1 µs a match, with no way to stop early. Words that match more records than
# this are listed newest first instead, with a note saying so (BENCHMARKS.md, "Broad words").
RANK_LIMIT = 10_000


def broad_words_note(matched: int) -> str:
    return (
        f"Your words on their own match {matched:,} records, too many to rank by relevance, "
        f"so these are listed newest first. With more words or a “phrase” "
        f"({RANK_LIMIT:,} matches or fewer) they are ranked."
    )


def resolve_sort(
    params: SearchParams, parsed: ParsedQuery, word_matches: Callable[[], int]
) -> tuple[str, str | None]:
    """The order a search is listed in, and a note when it is not the one asked for.

    Relevance needs words to rank by (without, newest first) and at most RANK_LIMIT published
    records matching them; word_matches() counts those, and is only called for relevance."""
    sort = params.effective_sort
    if sort != "relevance":
        return sort, None
    if not parsed.positive:
        return "newest", None
    matched = word_matches()
    if matched > RANK_LIMIT:
        return "newest", broad_words_note(matched)
    return "relevance", None


def count_word_matches(session: Session, conditions: Conditions) -> int:
    """Published records the query's positive words match, counted in SQL (the bitmaps'
    TextMatch.matched is the fast path for the same number)."""
    if conditions.score is None:
        return 0
    stmt = (
        select(func.count())
        .select_from(Deployment)
        .where(
            col(Deployment.state) == "published",
            col(Deployment.id).in_(select(conditions.score.c.id)),
        )
    )
    return int(session.execute(stmt).scalar_one())


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


def match_id_list(
    dialect: str, terms: tuple[Term, ...], *, any_of: bool = False, ranked: bool = False
) -> Select[Any]:
    """One row holding the ids the terms match as one comma-separated string, best first when
    ranked (ties: newest first, as order_by_sort). One string is built in the database: handing
    tens of thousands of rows to Python one by one costs several times more."""
    score = match_subquery(dialect, terms, any_of=any_of)
    if not ranked:
        return select(id_string(dialect, score.c.id))
    if dialect == "sqlite":
        # SQLite before 3.44 has no ORDER BY inside an aggregate, but it never flattens an
        # ordered subquery into an aggregate query, so group_concat sees the rows in order.
        ordered = select(score.c.id).order_by(score.c.score, score.c.id.desc()).subquery()
        return select(id_string(dialect, ordered.c.id))
    ids = func.string_agg(cast(score.c.id, Text), ",")
    return select(ids.aggregate_order_by(score.c.score, score.c.id.desc()))


def id_string(dialect: str, ids: Any) -> Any:
    """An aggregate of integer ids as one comma-separated string."""
    if dialect == "sqlite":
        return func.group_concat(ids)
    return func.string_agg(cast(ids, Text), ",")


def order_by_sort(stmt: Select[Any], sort: str, conditions: Conditions) -> Select[Any]:
    """Order by a sort that resolve_sort() gave."""
    if sort == "relevance" and conditions.score is not None:
        stmt = stmt.join(conditions.score, conditions.score.c.id == Deployment.id)
        return stmt.order_by(conditions.score.c.score, col(Deployment.id).desc())
    if sort == "updated":
        return stmt.order_by(col(Deployment.updated_at).desc(), col(Deployment.id).desc())
    if sort == "title":
        return stmt.order_by(col(Deployment.title_sort), col(Deployment.id))
    return stmt.order_by(col(Deployment.id).desc())
