"""The full-text index of deployments, kept in step with every ORM write.

SQLite: an FTS5 table `deployment_fts` (rowid = deployment id, unicode61 remove_diacritics 2).
PostgreSQL: `deployment_search(deployment_id, document tsvector)` with a GIN index.
Both are created by migration and hold the same pre-folded tokens (app/text.py). Session hooks
collect the deployments a flush touched (including through a vendor, organisation, source or
capability change) and re-index them before the transaction commits.

Every transaction that changes what search can see (a deployment, its links, or a vendor,
organisation, source or capability, through the ORM or an ORM session's bulk INSERT, UPDATE or
DELETE) also moves the counter in `catalog_version`, before it commits, so per-process search
state (app/services/facet_index.py) knows on the next request that it is out of date.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pycountry
from sqlalchemy import event, text
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import col, select

from app.models import (
    Capability,
    Deployment,
    DeploymentCapability,
    DeploymentOperator,
    DeploymentSource,
    DeploymentVendor,
    Organisation,
    Source,
    Vendor,
)
from app.text import tokens

# Column order of the index and the weight each field gets in ranking.
FIELDS: tuple[str, ...] = ("title", "summary", "place", "parties", "capabilities", "sources")
SQLITE_WEIGHTS: tuple[float, ...] = (10.0, 1.0, 4.0, 5.0, 3.0, 1.5)
PG_WEIGHT_LETTER: dict[str, str] = {
    "title": "A",
    "parties": "A",
    "place": "B",
    "capabilities": "B",
    "summary": "C",
    "sources": "D",
}
_PENDING = "search_index_pending"
_CHANGED = "search_index_catalog_changed"
# Tables whose rows search shows or filters by: a write to any of them moves the version.
CATALOG_TABLES = frozenset(
    {
        "deployment",
        "deployment_vendor",
        "deployment_operator",
        "deployment_capability",
        "deployment_source",
        "vendor",
        "organisation",
        "source",
        "capability",
    }
)
_CATALOG_CLASSES = (
    Deployment,
    DeploymentVendor,
    DeploymentOperator,
    DeploymentCapability,
    DeploymentSource,
    Vendor,
    Organisation,
    Source,
    Capability,
)
_MAX_PG_POSITION = 16383


def country_name(code: str | None) -> str:
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code.upper())
    return str(country.name) if country else code


def _documents(session: OrmSession, ids: list[int]) -> dict[int, dict[str, str]]:
    docs: dict[int, dict[str, list[str]]] = {}
    for d in session.execute(select(Deployment).where(col(Deployment.id).in_(ids))).scalars():
        assert d.id is not None
        docs[d.id] = {
            "title": [d.title],
            "summary": [d.summary, d.scale_note or "", d.financing or "", d.funder or ""],
            "place": [
                d.country,
                country_name(d.country),
                d.region or "",
                d.city or "",
                d.site or "",
                d.programme or "",
            ],
            "parties": [],
            "capabilities": [],
            "sources": [],
        }
    vendor_rows = session.execute(
        select(DeploymentVendor.deployment_id, Vendor.name)
        .join(Vendor, col(Vendor.id) == col(DeploymentVendor.vendor_id))
        .where(col(DeploymentVendor.deployment_id).in_(ids))
    )
    operator_rows = session.execute(
        select(DeploymentOperator.deployment_id, Organisation.name)
        .join(Organisation, col(Organisation.id) == col(DeploymentOperator.organisation_id))
        .where(col(DeploymentOperator.deployment_id).in_(ids))
    )
    for deployment_id, name in [*vendor_rows, *operator_rows]:
        docs[deployment_id]["parties"].append(name)
    for deployment_id, label in session.execute(
        select(DeploymentCapability.deployment_id, Capability.label)
        .join(Capability, col(Capability.key) == col(DeploymentCapability.capability_key))
        .where(col(DeploymentCapability.deployment_id).in_(ids))
    ):
        docs[deployment_id]["capabilities"].append(label)
    for deployment_id, title, publisher in session.execute(
        select(DeploymentSource.deployment_id, Source.title, Source.publisher)
        .join(Source, col(Source.id) == col(DeploymentSource.source_id))
        .where(col(DeploymentSource.deployment_id).in_(ids))
    ):
        docs[deployment_id]["sources"].extend([title, publisher or ""])
    return {
        key: {field: " ".join(tokens(" ".join(parts))) for field, parts in fields.items()}
        for key, fields in docs.items()
    }


def _tsvector_literal(doc: dict[str, str]) -> str:
    """A tsvector in its text form; our tokens are letters and digits only, so need no quoting."""
    parts: list[str] = []
    position = 0
    for field in FIELDS:
        weight = PG_WEIGHT_LETTER[field]
        for token in doc[field].split():
            position = min(position + 1, _MAX_PG_POSITION)
            parts.append(f"'{token}':{position}{weight}")
        position = min(position + 1, _MAX_PG_POSITION)  # no phrase spans two fields
    return " ".join(parts)


def reindex(session: OrmSession, ids: Iterable[int]) -> None:
    """Bring the index entries of these deployments up to date (deleted ones are dropped)."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    dialect = session.get_bind().dialect.name
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        docs = _documents(session, chunk)
        if dialect == "sqlite":
            session.execute(
                text(
                    "DELETE FROM deployment_fts WHERE rowid IN (SELECT value FROM json_each(:ids))"
                ),
                {"ids": f"[{','.join(map(str, chunk))}]"},
            )
            if docs:
                session.execute(
                    text(
                        "INSERT INTO deployment_fts (rowid, title, summary, place, parties, "
                        "capabilities, sources) VALUES (:id, :title, :summary, :place, :parties, "
                        ":capabilities, :sources)"
                    ),
                    [{"id": key, **doc} for key, doc in docs.items()],
                )
        else:
            session.execute(
                text("DELETE FROM deployment_search WHERE deployment_id = ANY(:ids)"),
                {"ids": chunk},
            )
            if docs:
                session.execute(
                    text(
                        "INSERT INTO deployment_search (deployment_id, document) "
                        "VALUES (:id, CAST(:document AS tsvector))"
                    ),
                    [{"id": key, "document": _tsvector_literal(doc)} for key, doc in docs.items()],
                )


def reindex_all(session: OrmSession) -> int:
    ids = list(session.execute(select(Deployment.id)).scalars())
    dialect = session.get_bind().dialect.name
    session.execute(
        text(
            "DELETE FROM deployment_fts" if dialect == "sqlite" else "DELETE FROM deployment_search"
        )
    )
    reindex(session, [i for i in ids if i is not None])
    bump_catalog_version(session)
    return len(ids)


def bump_catalog_version(session: OrmSession) -> None:
    """Move the catalog version, in the session's transaction (so it commits with the change)."""
    session.execute(text("UPDATE catalog_version SET version = version + 1 WHERE id = 1"))


def catalog_version(session: OrmSession) -> int | None:
    """The committed catalog version this session sees (None if the row is missing)."""
    value = session.execute(text("SELECT version FROM catalog_version WHERE id = 1")).scalar()
    return None if value is None else int(value)


def has_uncommitted_catalog_changes(session: OrmSession) -> bool:
    """Whether this session holds changes search can see that are not committed yet (flushed,
    or still only in the session)."""
    if session.info.get(_PENDING) or session.info.get(_CHANGED):
        return True
    return any(
        isinstance(o, _CATALOG_CLASSES) for o in [*session.new, *session.dirty, *session.deleted]
    )


def _touched_deployments(session: OrmSession) -> set[int]:
    touched: set[int] = set()
    vendor_ids: set[int] = set()
    organisation_ids: set[int] = set()
    source_ids: set[int] = set()
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, Deployment) and obj.id is not None:
            touched.add(obj.id)
        elif isinstance(
            obj, DeploymentVendor | DeploymentOperator | DeploymentCapability | DeploymentSource
        ):
            touched.add(obj.deployment_id)
        elif isinstance(obj, Vendor) and obj.id is not None:
            vendor_ids.add(obj.id)
        elif isinstance(obj, Organisation) and obj.id is not None:
            organisation_ids.add(obj.id)
        elif isinstance(obj, Source) and obj.id is not None:
            source_ids.add(obj.id)
        elif isinstance(obj, Capability):
            touched.update(
                session.execute(
                    select(DeploymentCapability.deployment_id).where(
                        DeploymentCapability.capability_key == obj.key
                    )
                ).scalars()
            )
    if vendor_ids:
        touched.update(
            session.execute(
                select(DeploymentVendor.deployment_id).where(
                    col(DeploymentVendor.vendor_id).in_(vendor_ids)
                )
            ).scalars()
        )
    if organisation_ids:
        touched.update(
            session.execute(
                select(DeploymentOperator.deployment_id).where(
                    col(DeploymentOperator.organisation_id).in_(organisation_ids)
                )
            ).scalars()
        )
    if source_ids:
        touched.update(
            session.execute(
                select(DeploymentSource.deployment_id).where(
                    col(DeploymentSource.source_id).in_(source_ids)
                )
            ).scalars()
        )
    return touched


def _derive_years(session: OrmSession, _ctx: UOWTransaction, _instances: Any) -> None:
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Deployment):
            years = [partial_year(obj.announced_on), partial_year(obj.started_on)]
            known = [y for y in years if y is not None]
            obj.first_year = min(known) if known else None
            obj.ended_year = partial_year(obj.ended_on)
            obj.title_sort = " ".join(tokens(obj.title))[:300]


def partial_year(value: str | None) -> int | None:
    if value and len(value) >= 4 and value[:4].isdigit():
        return int(value[:4])
    return None


def _collect(session: OrmSession, _ctx: UOWTransaction) -> None:
    pending: set[int] = session.info.setdefault(_PENDING, set())
    # A vendor or source with no records yet still changes what search lists (a vendor facet
    # shows a selected vendor's name), so any catalog object counts, not just re-indexed ones.
    if any(
        isinstance(o, _CATALOG_CLASSES) for o in [*session.new, *session.dirty, *session.deleted]
    ):
        session.info[_CHANGED] = True
    with session.no_autoflush:
        pending.update(_touched_deployments(session))


def _note_bulk_write(state: ORMExecuteState) -> None:
    """An INSERT, UPDATE or DELETE statement run through the session bypasses the unit of work
    (and so _collect); one on a catalog table still marks the catalog as changed."""
    statement = state.statement
    if isinstance(statement, UpdateBase):
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) in CATALOG_TABLES:
            state.session.info[_CHANGED] = True


def _apply(session: OrmSession) -> None:
    session.flush()
    pending: set[int] = session.info.pop(_PENDING, set())
    changed = session.info.pop(_CHANGED, False)
    if pending:
        reindex(session, pending)
    if pending or changed:
        bump_catalog_version(session)


def _forget(session: OrmSession, *_args: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CHANGED, None)


def install() -> None:
    """Register the hooks on every ORM session (idempotent)."""
    if not event.contains(OrmSession, "before_commit", _apply):
        event.listen(OrmSession, "before_flush", _derive_years)
        event.listen(OrmSession, "after_flush", _collect)
        event.listen(OrmSession, "do_orm_execute", _note_bulk_write)
        event.listen(OrmSession, "before_commit", _apply)
        event.listen(OrmSession, "after_rollback", _forget)


__all__ = [
    "CATALOG_TABLES",
    "FIELDS",
    "SQLITE_WEIGHTS",
    "bump_catalog_version",
    "catalog_version",
    "country_name",
    "has_uncommitted_catalog_changes",
    "install",
    "partial_year",
    "reindex",
    "reindex_all",
]
