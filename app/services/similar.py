"""Published records that look like a submission being typed: the "check for duplicates" hint.

Any one shared word is enough, so this is an OR search, which the search box's language does
not offer. It runs as one full-text query through the same compilers as the search service
(app/services/query.py), so both backends match the same folded tokens; records that share
more of the words, or share them in the title, rank first. No facets, no count and no "did you
mean": the hint is asked for while someone types and must stay cheap (one indexed query).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal_column, select, text
from sqlmodel import Session, col

from app.models import Deployment
from app.search_index import SQLITE_WEIGHTS, country_name
from app.services.query import Term, fts5_expression, tsquery_expression
from app.text import tokens

SIMILAR_WORDS = 3
# Words too common in this domain to tell records apart.
COMMON_WORDS = frozenset(
    tokens(
        "the and for with from into over under about city cities safe smart new old system "
        "systems project projects programme program camera cameras cctv surveillance video "
        "public police network networks national municipal installation installed deployment"
    )
)


@dataclass(frozen=True, slots=True)
class SimilarRecord:
    id: int
    slug: str
    title: str
    country: str
    country_name: str
    city: str | None
    first_year: int | None


def distinctive_words(title: str, city: str = "") -> list[str]:
    """The title's longest uncommon words, and the city's first word."""
    words = [w for w in dict.fromkeys(tokens(title)) if len(w) >= 3 and w not in COMMON_WORDS]
    words = sorted(words, key=len, reverse=True)[:SIMILAR_WORDS]
    return words + [w for w in tokens(city)[:1] if w not in words]


def similar_published(
    *, session: Session, title: str, country: str = "", city: str = "", limit: int = 5
) -> list[SimilarRecord]:
    """Published records sharing any distinctive word of the title (or the city), in the same
    country when a valid one is given; best matches first."""
    words = distinctive_words(title, city)
    if not words:
        return []
    matches = _matches(session, tuple(Term((word,)) for word in words))
    stmt = (
        select(
            col(Deployment.id), col(Deployment.slug), col(Deployment.title),
            col(Deployment.country), col(Deployment.city), col(Deployment.first_year),
        )
        .join(matches, matches.c.id == Deployment.id)
        .where(col(Deployment.state) == "published")
        .order_by(matches.c.score, col(Deployment.id).desc())
        .limit(limit)
    )
    code = country.strip().upper()
    if len(code) == 2 and code.isascii() and code.isalpha():
        stmt = stmt.where(col(Deployment.country) == code)
    return [
        SimilarRecord(
            id=row_id, slug=slug, title=row_title, country=row_country,
            country_name=country_name(row_country), city=row_city, first_year=year,
        )
        for row_id, slug, row_title, row_country, row_city, year in session.execute(stmt)
        if row_id is not None
    ]


def _matches(session: Session, terms: tuple[Term, ...]) -> Any:
    """(id, score) of every record matching any term; lower scores are better matches."""
    if session.get_bind().dialect.name == "sqlite":
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        return (
            select(
                literal_column("rowid").label("id"),
                literal_column(f"bm25(deployment_fts, {weights})").label("score"),
            )
            .select_from(text("deployment_fts"))
            .where(
                text("deployment_fts MATCH :similar_terms").bindparams(
                    similar_terms=fts5_expression(terms, joiner=" OR ")
                )
            )
            .subquery()
        )
    query = text("CAST(:similar_terms AS tsquery)").bindparams(
        similar_terms=tsquery_expression(terms, joiner=" | ")
    )
    return (
        select(
            literal_column("deployment_id").label("id"),
            (-func.ts_rank_cd(literal_column("document"), query)).label("score"),
        )
        .select_from(text("deployment_search"))
        .where(literal_column("document").op("@@")(query))
        .subquery()
    )
