"""Every deployment a search matches as flat rows: the values its CSV row shows, in one tuple.

The CSV export and the data archive's CSV read through here; everything else reads ExportRecord
(exports.py). A CSV row needs no objects: a record's own values, then each link cell as the
text it shows. Read this way a record costs a fraction of an ExportRecord: the link rows come
from the driver as plain tuples (no Row objects, no dataclasses) straight into their cells, and
SQLite's timestamp text is rewritten instead of being parsed into a datetime and formatted
again. The statements are exports.py's: the same records, in the same order, with the same
links in the same order.

Batches are small (FLAT_BATCH): the objects a batch keeps alive while it is read then mostly
stay under the garbage collector's threshold. With 1,000 records a batch, a 100k-record export
set it off ~1,000 times, several of them full collections walking the server's whole heap
(measured: 13-25% of the export's CPU); with 200, ~20 times.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, String, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlmodel import Session, col

from app.models import (
    Capability,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentVendor,
    Organisation,
    Vendor,
)
from app.services.cell_values import join_values
from app.services.exports import (
    CAPABILITY_LINKS,
    DEPLOYMENTS,
    FIELD_NAMES,
    OPERATOR_LINKS,
    SOURCE_TITLE_LINKS,
    VENDOR_LINKS,
    matching_statement,
)
from app.services.search_params import SearchParams

FLAT_BATCH = 200
LINK_CELLS: tuple[str, ...] = ("vendors", "operators", "capabilities", "sources", "source_urls")
_TIMESTAMPS = ("created_at", "updated_at")
# A flat row: the record's columns (timestamps last), then its link cells.
FlatRow = tuple[Any, ...]
FLAT_FIELDS: tuple[str, ...] = (
    *(name for name in FIELD_NAMES if name not in _TIMESTAMPS),
    *_TIMESTAMPS,
    *LINK_CELLS,
)
_FLAT_ID = FLAT_FIELDS.index("id")
# Timestamps as the driver gives them: SQLite's stored text, PostgreSQL's datetime.
_FLAT_COLUMNS = [
    type_coerce(DEPLOYMENTS.c[name], String).label(name)
    if name in _TIMESTAMPS
    else DEPLOYMENTS.c[name]
    for name in FLAT_FIELDS[: -len(LINK_CELLS)]
]
# exports.py's link statements, narrowed to what a cell shows; same joins, filter and order.
_VENDOR_LABELS = VENDOR_LINKS.with_only_columns(
    col(DeploymentVendor.deployment_id),
    col(Vendor.name) + " (" + col(DeploymentVendor.role) + ")",
    maintain_column_froms=True,
)
_OPERATOR_NAMES = OPERATOR_LINKS.with_only_columns(
    col(DeploymentOperator.deployment_id), col(Organisation.name), maintain_column_froms=True
)
# In the vocabulary's order, as exports.py sorts them in Python (every key is in it); here the
# join costs no more than that sort.
_CAPABILITY_KEYS = (
    CAPABILITY_LINKS.join(Capability, col(Capability.key) == DeploymentCapability.capability_key)
    .order_by(col(Capability.position), col(DeploymentCapability.capability_key))
)
# SQLAlchemy's text for a timestamp in SQLite: UTC, without the zone.
_STORED_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def iter_flat(
    *, session: Session, stmt: Select[Any], batch: int = FLAT_BATCH
) -> Iterator[list[FlatRow]]:
    """Stream `stmt` (deployment rows) in batches of flat rows, FLAT_FIELDS in order.

    The timestamps are ISO 8601 text in UTC (as ExportRecord's datetimes write themselves);
    each link cell is its values joined by join_values(), in the order iter_records gives the
    links: vendors as "Name (role)", operators' names, capability keys, source titles and
    source URLs ("" for a source without one).
    """
    connection = session.connection()
    flat = stmt.with_only_columns(*_FLAT_COLUMNS, maintain_column_froms=True)
    result = connection.execute(flat, execution_options={"yield_per": batch})
    try:
        for rows in result.partitions():
            yield _flat_batch(connection, rows)
    finally:
        result.close()


def iter_matching_flat(
    *, session: Session, params: SearchParams, batch: int = FLAT_BATCH
) -> Iterator[list[FlatRow]]:
    """iter_matching's records as flat rows (iter_flat)."""
    stmt = matching_statement(session=session, params=params)
    return iter_flat(session=session, stmt=stmt, batch=batch)


def _flat_batch(connection: Connection, rows: Sequence[Any]) -> list[FlatRow]:
    ids = [row[_FLAT_ID] for row in rows]
    vendors = _cells(connection, _VENDOR_LABELS, ids)
    operators = _cells(connection, _OPERATOR_NAMES, ids)
    capabilities = _cells(connection, _CAPABILITY_KEYS, ids)
    titles: defaultdict[int, list[str]] = defaultdict(list)
    urls: defaultdict[int, list[str]] = defaultdict(list)
    with _driver_rows(connection, SOURCE_TITLE_LINKS, ids) as sources:
        for deployment_id, title, url in sources:
            titles[deployment_id].append(title)
            urls[deployment_id].append(url or "")
    source_titles = {i: join_values(values) for i, values in titles.items()}
    source_urls = {i: join_values(values) for i, values in urls.items()}
    return [
        (
            *row[:-2],
            _utc_iso(row[-2]),
            _utc_iso(row[-1]),
            vendors.get(i, ""),
            operators.get(i, ""),
            capabilities.get(i, ""),
            source_titles.get(i, ""),
            source_urls.get(i, ""),
        )
        for row, i in zip(rows, ids, strict=True)
    ]


def _cells(connection: Connection, stmt: ClauseElement, ids: list[int]) -> dict[int, str]:
    """A link statement's (deployment id, value) rows as each deployment's cell."""
    grouped: defaultdict[int, list[str]] = defaultdict(list)
    with _driver_rows(connection, stmt, ids) as rows:
        for deployment_id, value in rows:
            grouped[deployment_id].append(value)
    return {deployment_id: join_values(values) for deployment_id, values in grouped.items()}


@contextmanager
def _driver_rows(connection: Connection, stmt: ClauseElement, ids: list[int]) -> Iterator[Any]:
    """The rows of a link statement for these ids: the driver's cursor, which iterates them as
    plain tuples.

    SQLAlchemy compiles the statement and expands the ids; its Row objects, which cost more
    than the query at ~8 link rows per record, are skipped (the link statements' columns need
    no result processing: integers and text). Iterated rather than fetched as a list, so each
    tuple is freed once read and thousands of live ones do not set off the garbage collector.
    """
    compiled = _compiled(stmt, connection.dialect)
    state = compiled.construct_expanded_state({"ids": ids})
    parameters = state.positional_parameters if compiled.positional else state.parameters
    cursor = connection.connection.cursor()
    try:
        cursor.execute(state.statement, parameters)
        yield cursor
    finally:
        cursor.close()


@lru_cache(maxsize=16)
def _compiled(stmt: ClauseElement, dialect: Dialect) -> SQLCompiler:
    compiled = stmt.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    return compiled


def _utc_iso(value: Any) -> str:
    """A timestamp as its datetime's isoformat() in UTC, as ExportRecord's fields hold it.

    SQLite's stored text is rewritten directly (a fraction of the cost of parsing it)."""
    if isinstance(value, str):
        if _STORED_TIMESTAMP.fullmatch(value):
            fraction = "" if value.endswith(".000000") else value[19:]
            return f"{value[:10]}T{value[11:19]}{fraction}+00:00"
        value = datetime.fromisoformat(value)  # any other stored form, as SQLAlchemy reads it
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.isoformat())
