"""Published deployments as bitmaps in memory: one bit per deployment for each facet value.

Counting a facet value is a bitwise AND and a popcount over one bit per deployment id (12.5 KB
at 100k), whatever the size of the match, so a search's total and facets cost a few
milliseconds whether it matches ten records or all of them (BENCHMARKS.md). The full-text match
still runs in the database, once per distinct query; its ids become one more bitmap and its
relevance order is kept for the last TEXT_CACHE queries.

This is derived, per-process state, never a source of truth. Each search first reads the
catalog version from the database (one row, `catalog_version`, that app/search_index.py moves in
the same transaction as every change search can see) and rebuilds the bitmaps when it differs
from the version they were built at. So two app instances never serve different answers for
longer than the request that overlaps a commit, and nothing here needs to be shared between
instances (the project rule: the app keeps no state in memory that two instances would need to
share). A session with uncommitted catalog changes, or one bound to a connection rather than an
engine, gets None and the caller counts in SQL instead.

Handlers run in a thread pool: builds, the text cache and the sort orders are guarded by a lock.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.models import Deployment, DeploymentCapability, DeploymentVendor, Vendor
from app.search_index import catalog_version, has_uncommitted_catalog_changes
from app.services.query import ParsedQuery
from app.services.search_filters import id_string, match_id_list

T = TypeVar("T")
TEXT_CACHE = 64
# Facet name -> Deployment column, for the facets that are one column of the record.
COLUMNS = {
    "country": "country",
    "status": "status",
    "oversight": "oversight_status",
    "verification": "verification",
}
_ORDERS: dict[str, tuple[Any, ...]] = {
    "updated": (col(Deployment.updated_at).desc(), col(Deployment.id).desc()),
    "title": (col(Deployment.title_sort), col(Deployment.id)),
}


def to_mask(ids: Sequence[int], size: int) -> int:
    """A bitmap (bit i set for id i) of the ids below size (none may be negative)."""
    if len(ids) * 8 < size:  # few ids: set their bits in a buffer of size / 8 bytes
        buf = bytearray((size >> 3) + 1)
        for i in ids:
            if i < size:
                buf[i >> 3] |= 1 << (i & 7)
        return int.from_bytes(buf, "little")
    # Many: one byte per id, read as a binary numeral (~3x faster per id).
    digits = bytearray(b"0") * size
    for i in ids:
        if i < size:
            digits[i] = 0x31  # "1"
    digits.reverse()  # the numeral's last digit is bit 0
    return int(digits, 2) if size else 0


def parse_ids(joined: str | None) -> list[int]:
    """Ids the database joined with commas (search_filters.id_string)."""
    return list(map(int, joined.split(","))) if joined else []


def id_list(session: Session, stmt: Any) -> list[int]:
    """The ids of a one-row, one-column statement that gives them comma-separated
    (search_filters.match_id_list)."""
    return parse_ids(session.execute(stmt).scalar())


def union(masks: Iterable[int]) -> int:
    result = 0
    for mask in masks:
        result |= mask
    return result


@dataclass(frozen=True)
class TextMatch:
    """What a query's words match: a bitmap; how many published records its positive words
    match (which decides whether it may be ranked: search_filters.resolve_sort); and, once a
    page in relevance order asked for it, the matching ids in that order."""

    mask: int
    matched: int
    ranked: array[int] | None


@dataclass
class Bitmaps:
    version: int
    size: int  # one more than the highest published id
    published: int
    columns: dict[str, dict[str, int]]
    vendors: dict[int, int]  # vendor id -> its published records
    vendor_labels: dict[int, tuple[str, str]]  # vendor id -> (slug, name), every vendor
    capabilities: dict[str, int]  # capability key -> its published records (direct links)
    first_year: dict[int, int]
    ended_year: dict[int, int]
    has_first_year: int
    no_ended_year: int
    orders: dict[str, list[int]] = field(default_factory=dict)
    texts: OrderedDict[str, TextMatch] = field(default_factory=OrderedDict)
    memo: dict[str, Any] = field(default_factory=dict)

    def text(self, session: Session, parsed: ParsedQuery, *, ranked: bool = False) -> TextMatch:
        """The published records a query matches, ranked if asked (ranking costs a score for
        every match, which is why resolve_sort() asks for it only up to RANK_LIMIT matches).
        The last TEXT_CACHE queries are kept, since people page, sort and filter the same
        words."""
        key = parsed.to_text()
        with _lock:
            found = self.texts.get(key)
            if found is not None and (found.ranked is not None or not ranked):
                self.texts.move_to_end(key)
                return found
        dialect = session.get_bind().dialect.name
        if found is None:
            mask = self.published
            if parsed.positive:
                stmt = match_id_list(dialect, parsed.positive)
                mask &= to_mask(id_list(session, stmt), self.size)
            matched = mask.bit_count() if parsed.positive else 0
            if parsed.negative:
                stmt = match_id_list(dialect, parsed.negative, any_of=True)
                mask &= ~to_mask(id_list(session, stmt), self.size)
            found = TextMatch(mask=mask, matched=matched, ranked=None)
        if ranked:
            order = array("q")
            if parsed.positive:
                stmt = match_id_list(dialect, parsed.positive, ranked=True)
                order.extend(id_list(session, stmt))
            found = replace(found, ranked=order)
        with _lock:
            self.texts[key] = found
            self.texts.move_to_end(key)
            while len(self.texts) > TEXT_CACHE:
                self.texts.popitem(last=False)
        return found

    def order(self, session: Session, sort: str) -> list[int]:
        """Published ids in the "updated" or "title" order, read once per version."""
        with _lock:
            if sort not in self.orders:
                self.orders[sort] = [
                    i
                    for i in session.execute(
                        select(Deployment.id)
                        .where(col(Deployment.state) == "published")
                        .order_by(*_ORDERS[sort])
                    ).scalars()
                    if i is not None
                ]
            return self.orders[sort]

    def remember(self, key: str, compute: Callable[[], T]) -> T:
        """compute(), once per catalog version (e.g. the words "did you mean" knows)."""
        with _lock:
            if key in self.memo:
                found: T = self.memo[key]
                return found
        value = compute()
        with _lock:
            self.memo[key] = value
        return value

    @classmethod
    def load(cls, session: Session, version: int) -> Bitmaps:
        """Every published deployment and link, as the ids of each facet value: one statement
        a facet, each row one value and its ids as one string (id_groups)."""
        published_only = col(Deployment.state) == "published"
        dialect = session.get_bind().dialect.name
        published = id_list(
            session, sa.select(id_string(dialect, Deployment.id)).where(published_only)
        )
        size = max(published, default=0) + 1
        published_mask = to_mask(published, size)

        def column(name: str) -> dict[Any, int]:
            groups = id_groups(session, getattr(Deployment, name), Deployment.id, published_only)
            return {value: to_mask(ids, size) for value, ids in groups.items()}

        def links(key: Any, deployment_id: Any) -> dict[Any, int]:
            # Links of unpublished records are masked out here, once.
            groups = id_groups(session, key, deployment_id)
            return {value: to_mask(ids, size) & published_mask for value, ids in groups.items()}

        first_year, ended_year = column("first_year"), column("ended_year")
        return cls(
            version=version,
            size=size,
            published=published_mask,
            columns={name: column(attribute) for name, attribute in COLUMNS.items()},
            vendors=links(DeploymentVendor.vendor_id, DeploymentVendor.deployment_id),
            vendor_labels={
                vid: (slug, name)
                for vid, slug, name in session.execute(select(Vendor.id, Vendor.slug, Vendor.name))
                if vid is not None
            },
            capabilities=links(
                DeploymentCapability.capability_key, DeploymentCapability.deployment_id
            ),
            first_year={k: m for k, m in first_year.items() if k is not None},
            ended_year={k: m for k, m in ended_year.items() if k is not None},
            has_first_year=published_mask & ~first_year.get(None, 0),
            no_ended_year=ended_year.get(None, 0),
        )


def id_groups(session: Session, key: Any, ids: Any, *where: Any) -> dict[Any, list[int]]:
    """key value -> the ids of its rows, read as one row a value (search_filters.id_string)."""
    dialect = session.get_bind().dialect.name
    stmt = sa.select(key, id_string(dialect, ids)).where(*where).group_by(key)
    return {value: parse_ids(joined) for value, joined in session.execute(stmt)}


_loaded: WeakKeyDictionary[Engine, Bitmaps] = WeakKeyDictionary()
_lock = threading.RLock()


def bitmaps_for(session: Session) -> Bitmaps | None:
    """The bitmaps at the catalog version this session sees, built if need be; None when the
    session cannot use them (uncommitted catalog changes, no engine, no version row)."""
    bind = session.get_bind()
    if not isinstance(bind, Engine) or has_uncommitted_catalog_changes(session):
        return None
    version = catalog_version(session)  # read first: bitmaps are never older than their label
    if version is None:
        return None
    with _lock:  # one build at a time; others wait for it rather than build their own
        current = _loaded.get(bind)
        if current is not None and current.version == version:
            return current
        built = Bitmaps.load(session, version)
        if current is None or current.version < version:
            _loaded[bind] = built  # a session on an older snapshot never replaces newer ones
        return built


def forget(engine: Engine) -> None:
    """Drop an engine's bitmaps (the next search rebuilds them)."""
    with _lock:
        _loaded.pop(engine, None)
