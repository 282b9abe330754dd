"""Every deployment a search matches, in the search's order, streamed in batches with its links.

Exports, feeds, the API lists and the data archive read through here (the CSV reads the same
statements as flat rows: flat_rows.py). One ordered query streams the deployment rows
(`yield_per`: a server-side cursor on PostgreSQL, stepped rows on SQLite), and each batch loads
its vendors, operators, capabilities, sources and oversight events in one query per kind, so
memory stays flat whatever the number of records and there is no N+1. The conditions and the
order are the search service's own, so an export of a search holds exactly the records the
search page lists, in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from sqlalchemy import Select, Table, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col

from app.models import (
    Capability,
    Deployment,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentSource,
    DeploymentVendor,
    Organisation,
    OversightEvent,
    Source,
    Vendor,
)
from app.services.catalog import PUBLIC_STATES
from app.services.query import parse_query
from app.services.search_filters import (
    Conditions,
    build_conditions,
    count_word_matches,
    order_by_sort,
    resolve_sort,
    vendor_ids_for,
)
from app.services.search_params import SearchParams

BATCH = 1000
DEPLOYMENTS: Table = SQLModel.metadata.tables["deployment"]
# Derived columns kept for sorting and filtering; an export carries the fields they come from.
_DERIVED = frozenset({"first_year", "ended_year", "title_sort"})
FIELD_NAMES: tuple[str, ...] = tuple(c.name for c in DEPLOYMENTS.c if c.name not in _DERIVED)
_FIELD_COLUMNS = [DEPLOYMENTS.c[name] for name in FIELD_NAMES]


@dataclass(frozen=True, slots=True)
class VendorLink:
    name: str
    slug: str
    country: str | None
    role: str


@dataclass(frozen=True, slots=True)
class OperatorLink:
    name: str
    slug: str
    kind: str
    country: str | None


@dataclass(frozen=True, slots=True)
class SourceLink:
    title: str
    url: str | None
    publisher: str | None
    published_on: str | None
    archived_url: str | None
    source_type: str
    excerpt: str | None
    accessed_on: date | None
    claim: str | None


@dataclass(frozen=True, slots=True)
class EventLink:
    date: str | None
    kind: str
    body: str | None
    outcome: str | None
    description: str


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One deployment's own columns (`fields`, by column name) and what it links to."""

    fields: Mapping[str, Any]
    vendors: list[VendorLink] = field(default_factory=list)
    operators: list[OperatorLink] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    sources: list[SourceLink] = field(default_factory=list)
    oversight_events: list[EventLink] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.fields["id"])


def unknown_filters(*, session: Session, params: SearchParams) -> dict[str, str]:
    """What the search page would report beyond parse_params: vendors that do not exist."""
    errors: dict[str, str] = {}
    vendor_ids_for(session, params.vendor, errors)
    return errors


def _conditions_and_order(session: Session, params: SearchParams) -> tuple[Conditions, str]:
    parsed = parse_query(params.q)
    errors: dict[str, str] = {}
    vendor_ids = vendor_ids_for(session, params.vendor, errors)
    conditions = build_conditions(session, params, parsed, vendor_ids)
    # The search page's order, broad words included (newest first beyond RANK_LIMIT matches).
    sort, _note = resolve_sort(params, parsed, lambda: count_word_matches(session, conditions))
    return conditions, sort


def export_order(*, session: Session, params: SearchParams) -> str:
    """The order an export of this search lists its records in (the search page's)."""
    return _conditions_and_order(session, params)[1]


def matching_statement(*, session: Session, params: SearchParams) -> Select[Any]:
    """The search's published matches as deployment rows, in the search's order, unpaged."""
    conditions, sort = _conditions_and_order(session, params)
    # Ranked by relevance, the join to the scored matches does the full-text filtering.
    joined = sort == "relevance" and conditions.score is not None
    stmt: Select[Any] = sa_select(*_FIELD_COLUMNS).where(*conditions.all(matched=not joined))
    return order_by_sort(stmt, sort, conditions)


def public_statement() -> Select[Any]:
    """Every public record, archived ones included, by id: the full dataset."""
    return (
        sa_select(*_FIELD_COLUMNS)
        .where(col(Deployment.state).in_(PUBLIC_STATES))
        .order_by(col(Deployment.id))
    )


def iter_matching(
    *,
    session: Session,
    params: SearchParams,
    batch: int = BATCH,
    limit: int | None = None,
    full: bool = False,
) -> Iterator[list[ExportRecord]]:
    """Batches of the records a search matches, in its order (its `page` is ignored).

    `full` loads every detail of the sources and the oversight events (JSON, GeoJSON);
    without it a source is only its title and URL (CSV, feeds, API lists)."""
    stmt = matching_statement(session=session, params=params)
    if limit is not None:
        stmt = stmt.limit(limit)
    return iter_records(session=session, stmt=stmt, batch=batch, full=full)


def records_by_id(*, session: Session, ids: Sequence[int]) -> list[ExportRecord]:
    """The public records with these ids, with their links, in the order of `ids`."""
    if not ids:
        return []
    rows = [_fields(row) for row in session.connection().execute(_BY_ID, {"ids": list(ids)})]
    by_id = {record.id: record for record in _with_links(session, rows, full=False)}
    return [by_id[i] for i in ids if i in by_id]


def iter_records(
    *, session: Session, stmt: Select[Any], batch: int = BATCH, full: bool = False
) -> Iterator[list[ExportRecord]]:
    """Stream `stmt` (deployment rows) in batches, each with its links loaded.

    Core rows through the session's connection: the ORM would only add per-row overhead.
    """
    result = session.connection().execute(stmt, execution_options={"yield_per": batch})
    try:
        for rows in result.partitions():
            yield _with_links(session, [_fields(row) for row in rows], full=full)
    finally:
        result.close()


def _capability_order(session: Session) -> dict[str, tuple[int, str]]:
    """Capability key -> its place in the vocabulary, read once per session."""
    cached: dict[str, tuple[int, str]] | None = session.info.get("capability_order")
    if cached is None:
        rows = (
            session.connection()
            .execute(sa_select(*_columns(Capability.key, Capability.position)))
            .all()
        )
        cached = {key: (position, key) for key, position in rows}
        session.info["capability_order"] = cached
    return cached


def _fields(row: Any) -> dict[str, Any]:
    fields = dict(zip(FIELD_NAMES, row, strict=True))
    for name in ("created_at", "updated_at"):
        # SQLite hands timestamps back without their zone; they are stored in UTC.
        if fields[name] is not None and fields[name].tzinfo is None:
            fields[name] = fields[name].replace(tzinfo=UTC)
    return fields


def _columns(*attributes: Any) -> list[Any]:
    return [col(attribute) for attribute in attributes]


# The link queries, built once (building a statement costs more than running it for a page of
# ids); the ids are an expanding parameter. flat_rows.py narrows them to what a CSV cell shows.
_IDS: Any = bindparam("ids", expanding=True)
VENDOR_LINKS = (
    sa_select(
        *_columns(
            DeploymentVendor.deployment_id,
            Vendor.name,
            Vendor.slug,
            Vendor.country,
            DeploymentVendor.role,
        )
    )
    .join(Vendor, col(Vendor.id) == DeploymentVendor.vendor_id)
    .where(col(DeploymentVendor.deployment_id).in_(_IDS))
    .order_by(col(Vendor.name), col(DeploymentVendor.role))
)
OPERATOR_LINKS = (
    sa_select(
        *_columns(
            DeploymentOperator.deployment_id,
            Organisation.name,
            Organisation.slug,
            Organisation.kind,
            Organisation.country,
        )
    )
    .join(Organisation, col(Organisation.id) == DeploymentOperator.organisation_id)
    .where(col(DeploymentOperator.deployment_id).in_(_IDS))
    .order_by(col(Organisation.name))
)
# No join to the vocabulary table: its order is applied in Python, which is cheaper.
CAPABILITY_LINKS = sa_select(
    *_columns(DeploymentCapability.deployment_id, DeploymentCapability.capability_key)
).where(col(DeploymentCapability.deployment_id).in_(_IDS))
_SOURCES = (
    sa_select(
        *_columns(
            DeploymentSource.deployment_id,
            DeploymentSource.claim,
            Source.title,
            Source.url,
            Source.publisher,
            Source.published_on,
            Source.archived_url,
            Source.source_type,
            Source.excerpt,
            Source.accessed_on,
        )
    )
    .join(Source, col(Source.id) == DeploymentSource.source_id)
    .where(col(DeploymentSource.deployment_id).in_(_IDS))
    .order_by(col(DeploymentSource.position), col(Source.id))
)
# What a CSV row or a list item shows of its sources: titles and URLs.
SOURCE_TITLE_LINKS = (
    sa_select(*_columns(DeploymentSource.deployment_id, Source.title, Source.url))
    .join(Source, col(Source.id) == DeploymentSource.source_id)
    .where(col(DeploymentSource.deployment_id).in_(_IDS))
    .order_by(col(DeploymentSource.position), col(Source.id))
)
_BY_ID = sa_select(*_FIELD_COLUMNS).where(
    col(Deployment.id).in_(_IDS), col(Deployment.state).in_(PUBLIC_STATES)
)
_EVENTS = sa_select(
    *_columns(
        OversightEvent.deployment_id,
        OversightEvent.date,
        OversightEvent.kind,
        OversightEvent.body,
        OversightEvent.outcome,
        OversightEvent.description,
        OversightEvent.id,
    )
).where(col(OversightEvent.deployment_id).in_(_IDS))


def _with_links(
    session: Session, rows: Sequence[dict[str, Any]], *, full: bool
) -> list[ExportRecord]:
    ids = {"ids": [row["id"] for row in rows]}
    connection = session.connection()
    vendors: dict[int, list[VendorLink]] = defaultdict(list)
    for deployment_id, name, slug, country, role in connection.execute(VENDOR_LINKS, ids).all():
        vendors[deployment_id].append(VendorLink(name, slug, country, role))
    operators: dict[int, list[OperatorLink]] = defaultdict(list)
    for deployment_id, name, slug, kind, country in connection.execute(OPERATOR_LINKS, ids).all():
        operators[deployment_id].append(OperatorLink(name, slug, kind, country))
    # The vocabulary's order, as on the record page.
    order = _capability_order(session)
    capabilities: dict[int, list[str]] = defaultdict(list)
    for deployment_id, key in sorted(
        connection.execute(CAPABILITY_LINKS, ids).all(),
        key=lambda row: (order.get(row[1], (len(order), row[1])), row[1]),
    ):
        capabilities[deployment_id].append(key)
    sources: dict[int, list[SourceLink]] = defaultdict(list)
    if full:
        for deployment_id, claim, *columns in connection.execute(_SOURCES, ids).all():
            title, url, publisher, published_on, archived_url, source_type, quote, accessed_on = (
                columns
            )
            sources[deployment_id].append(
                SourceLink(
                    title=title,
                    url=url,
                    publisher=publisher,
                    published_on=published_on,
                    archived_url=archived_url,
                    source_type=source_type,
                    excerpt=quote,
                    accessed_on=accessed_on,
                    claim=claim,
                )
            )
    else:
        for deployment_id, title, url in connection.execute(SOURCE_TITLE_LINKS, ids).all():
            sources[deployment_id].append(
                SourceLink(title, url, None, None, None, "", None, None, None)
            )
    events = _events(connection, ids) if full else {}
    return [
        ExportRecord(
            fields=row,
            vendors=vendors.get(row["id"], []),
            operators=operators.get(row["id"], []),
            capabilities=capabilities.get(row["id"], []),
            sources=sources.get(row["id"], []),
            oversight_events=events.get(row["id"], []),
        )
        for row in rows
    ]


def _events(connection: Any, ids: dict[str, list[int]]) -> dict[int, list[EventLink]]:
    events: dict[int, list[EventLink]] = defaultdict(list)
    rows = connection.execute(_EVENTS, ids).all()
    # As on the record page: partial dates sort as text, undated events last.
    for deployment_id, when, kind, body, outcome, description, _id in sorted(
        rows, key=lambda r: (r[0], r[1] is None, r[1] or "", r[6])
    ):
        events[deployment_id].append(EventLink(when, kind, body, outcome, description))
    return events
