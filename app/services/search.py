"""Search and facets over published deployments: one function the pages, the API and exports share.

Full text runs on FTS5 (SQLite, ranked by bm25) or a tsvector with a GIN index (PostgreSQL,
ranked by ts_rank_cd); both hold the same folded tokens (app/search_index.py), so the same
query finds the same records on either backend.

Totals, facets and the page's ids come from per-process bitmaps (app/services/facet_index.py,
checked against the catalog version on every call); the SQL path (facets.py) is the reference
and the fallback for a session with uncommitted catalog changes.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pycountry
from sqlalchemy import Select, func
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app import vocab
from app.models import Capability, Deployment, DeploymentCapability, DeploymentVendor, Vendor
from app.search_index import country_name
from app.services import bitmap_search, facet_index
from app.services.facets import FacetValue, facet_counts
from app.services.query import ParsedQuery, Term, parse_query
from app.services.search_filters import (
    Conditions,
    build_conditions,
    count_word_matches,
    order_by_sort,
    resolve_sort,
    vendor_ids_for,
)
from app.services.search_params import FACETS, LABELS, SORTS, SearchParams, parse_params
from app.text import tokens


@dataclass(frozen=True)
class DeploymentCard:
    id: int
    slug: str
    title: str
    summary_excerpt: str
    country: str
    country_name: str
    city: str | None
    status: str
    status_label: str
    oversight_status: str
    oversight_label: str
    verification: str
    first_year: int | None
    updated_at: datetime
    is_demo: bool
    vendors: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SearchResult:
    params: SearchParams
    sort: str  # the order the results are in (search_filters.resolve_sort)
    total: int
    page: int
    pages: int
    per_page: int
    ids: list[int]  # the page's records, in order
    cards: list[DeploymentCard]  # the same, for the search page (empty with with_cards=False)
    facets: dict[str, list[FacetValue]]
    notes: list[str]
    suggestion: str | None
    errors: dict[str, str]


def search(
    *,
    session: Session,
    params: SearchParams,
    per_page: int = 20,
    with_facets: bool = True,
    with_cards: bool = True,
    use_bitmaps: bool = True,
) -> SearchResult:
    """One page of a search. use_bitmaps=False counts in SQL only (the reference path);
    with_cards=False gives the page's ids only (the API loads its own shape of record)."""
    parsed = parse_query(params.q)
    notes = list(parsed.notes)
    errors: dict[str, str] = {}
    vendor_ids = vendor_ids_for(session, params.vendor, errors)
    if errors:
        params = replace(params, vendor=tuple(s for s in params.vendor if s in vendor_ids))
    conditions = build_conditions(session, params, parsed, vendor_ids)
    bitmaps = facet_index.bitmaps_for(session) if use_bitmaps else None
    sort = params.effective_sort
    try:
        sort, note = resolve_sort(
            params, parsed, lambda: _word_matches(session, parsed, conditions, bitmaps)
        )
        if note:
            notes.append(note)
        offset = (params.page - 1) * per_page
        if bitmaps is not None:
            total, matched, facets = bitmap_search.counts(
                session, bitmaps, params, parsed, vendor_ids, with_facets=with_facets
            )
            ids = bitmap_search.page_ids(session, bitmaps, parsed, matched, sort, offset, per_page)
        else:
            total = session.execute(
                select(func.count()).select_from(Deployment).where(*conditions.all())
            ).scalar_one()
            facets = facet_counts(session, params, conditions) if with_facets else {}
            ids = _page_ids(session, sort, conditions, offset, per_page)
        pages = max(1, math.ceil(total / per_page))
        if params.page > pages and total:
            plural = "s" if pages > 1 else ""
            notes.append(f"This search has {pages} page{plural}; page {params.page} is empty.")
        cards = _cards(session, ids) if with_cards else []
    except DBAPIError:
        # Defence in depth: terms are compiled from letters and digits only, but whatever the
        # database refuses must still give the person an answer, not an error page.
        session.rollback()
        notes.append("This search could not be run; try simpler words.")
        total, pages, ids, cards, facets = 0, 1, [], [], {}
    suggestion = _suggest(session, parsed, bitmaps) if total == 0 and parsed.positive else None
    return SearchResult(
        params=params,
        sort=sort,
        total=total,
        page=params.page,
        pages=pages,
        per_page=per_page,
        ids=ids,
        cards=cards,
        facets=facets,
        notes=notes,
        suggestion=suggestion,
        errors=errors,
    )


def _word_matches(
    session: Session,
    parsed: ParsedQuery,
    conditions: Conditions,
    bitmaps: facet_index.Bitmaps | None,
) -> int:
    if bitmaps is not None:
        return bitmaps.text(session, parsed).matched
    return count_word_matches(session, conditions)


def _page_ids(
    session: Session, sort: str, conditions: Conditions, offset: int, limit: int
) -> list[int]:
    """One page of ids in SQL (the reference path; bitmap_search.page_ids is the fast one)."""
    # Ranked by relevance, the join to the scored matches does the full-text filtering.
    joined = sort == "relevance" and conditions.score is not None
    stmt: Select[Any] = select(Deployment.id).where(*conditions.all(matched=not joined))
    stmt = order_by_sort(stmt, sort, conditions).limit(limit).offset(offset)
    return [i for i in session.execute(stmt).scalars() if i is not None]


def _cards(session: Session, page_ids: list[int]) -> list[DeploymentCard]:
    rows = session.execute(select(Deployment).where(col(Deployment.id).in_(page_ids)))
    by_id = {d.id: d for d in rows.scalars()}
    deployments = [by_id[i] for i in page_ids if i in by_id]
    ids = [d.id for d in deployments if d.id is not None]
    vendors = _names_by_deployment(
        session,
        select(DeploymentVendor.deployment_id, Vendor.name)
        .join(Vendor, col(Vendor.id) == DeploymentVendor.vendor_id)
        .where(col(DeploymentVendor.deployment_id).in_(ids))
        .order_by(col(Vendor.name)),
    )
    capabilities = _names_by_deployment(
        session,
        select(DeploymentCapability.deployment_id, Capability.label)
        .join(Capability, col(Capability.key) == DeploymentCapability.capability_key)
        .where(col(DeploymentCapability.deployment_id).in_(ids))
        .order_by(col(Capability.position)),
    )
    return [
        _card(d, vendors.get(d.id or 0, []), capabilities.get(d.id or 0, [])) for d in deployments
    ]


def _names_by_deployment(session: Session, stmt: Any) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for deployment_id, name in session.execute(stmt):
        if name not in names.setdefault(deployment_id, []):
            names[deployment_id].append(name)
    return names


def _card(d: Deployment, vendors: list[str], capabilities: list[str]) -> DeploymentCard:
    assert d.id is not None
    return DeploymentCard(
        id=d.id,
        slug=d.slug,
        title=d.title,
        summary_excerpt=excerpt(d.summary),
        country=d.country,
        country_name=country_name(d.country),
        city=d.city,
        status=d.status,
        status_label=LABELS["status"].get(d.status, d.status),
        oversight_status=d.oversight_status,
        oversight_label=LABELS["oversight"].get(d.oversight_status, d.oversight_status),
        verification=d.verification,
        first_year=d.first_year,
        updated_at=d.updated_at,
        is_demo=d.is_demo,
        vendors=vendors,
        capabilities=capabilities,
    )


def excerpt(summary: str, limit: int = 240) -> str:
    flat = " ".join(summary.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


# --- did you mean -----------------------------------------------------------------------------


def _suggest(
    session: Session, parsed: ParsedQuery, bitmaps: facet_index.Bitmaps | None
) -> str | None:
    """A corrected query built from names the catalog knows (vendors, places, capabilities)."""
    # Reading every place name costs ~150 ms at 100k: once per catalog version when possible.
    if bitmaps is not None:
        known = bitmaps.remember("known_words", lambda: _known_words(session))
    else:
        known = _known_words(session)
    changed = False
    terms: list[Term] = []
    for term in parsed.terms:
        words = []
        for word in term.words:
            if term.negated or word in known or len(word) < 3:
                words.append(word)
                continue
            match = difflib.get_close_matches(word, known, n=1, cutoff=0.75)
            words.append(match[0] if match else word)
            changed = changed or bool(match)
        terms.append(Term(tuple(words), prefix=term.prefix, negated=term.negated))
    if not changed:
        return None
    return ParsedQuery(tuple(terms)).to_text()


def _known_words(session: Session) -> list[str]:
    names: list[str] = [t.label for t in vocab.CAPABILITIES]
    names += [str(c.name) for c in pycountry.countries]
    names += [n for n in session.execute(select(Vendor.name)).scalars()]
    for column in (Deployment.city, Deployment.region, Deployment.programme):
        names += [
            v
            for v in session.execute(
                select(col(column)).where(col(column).is_not(None)).distinct()
            ).scalars()
            if v
        ]
    return sorted({word for name in names for word in tokens(name)})


__all__ = [
    "FACETS",
    "SORTS",
    "DeploymentCard",
    "FacetValue",
    "SearchParams",
    "SearchResult",
    "parse_params",
    "search",
]
