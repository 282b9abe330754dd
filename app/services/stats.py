"""Statistics of a search: records by country, vendor, capability, oversight status and year.

Every count honours the whole search (words and every filter), through the same conditions the
result pages use, so a chart and the search it came from always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app import vocab
from app.models import Deployment, DeploymentCapability, DeploymentVendor, Vendor
from app.search_index import country_name
from app.services.query import parse_query
from app.services.search_filters import Conditions, build_conditions, vendor_ids_for
from app.services.search_params import SearchParams

TOP_COUNTRIES = 20
TOP_VENDORS = 20
# Wider year spans are grouped, so a histogram never has more than about forty bars.
YEAR_BIN_WIDTHS = (1, 5, 10, 25)
MAX_YEAR_BARS = 40
OTHER = "other"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Bar:
    """One value of a chart: `key` is the filter value it stands for ("" when it has none)."""

    key: str
    label: str
    count: int
    depth: int = 0  # a child capability sits one level below its parent


@dataclass(frozen=True)
class Chart:
    name: str  # country | vendor | capability | oversight | year
    title: str
    bars: list[Bar]
    note: str = ""

    @property
    def largest(self) -> int:
        return max((bar.count for bar in self.bars), default=0)


@dataclass(frozen=True)
class Statistics:
    params: SearchParams
    total: int
    charts: list[Chart]
    notes: list[str]
    errors: dict[str, str]


def search_statistics(*, session: Session, params: SearchParams) -> Statistics:
    """Counts of the published records matching `params`; unknown vendors are dropped and
    explained in `errors`, as the search itself does."""
    parsed = parse_query(params.q)
    notes = list(parsed.notes)
    errors: dict[str, str] = {}
    vendor_ids = vendor_ids_for(session, params.vendor, errors)
    if errors:
        params = replace(params, vendor=tuple(s for s in params.vendor if s in vendor_ids))
    conditions = build_conditions(session, params, parsed, vendor_ids)
    try:
        total = session.execute(
            select(func.count()).select_from(Deployment).where(*conditions.all())
        ).scalar_one()
        charts = [
            _by_country(session, conditions),
            _by_vendor(session, conditions),
            _by_capability(session, conditions),
            _by_oversight(session, conditions),
            _by_year(session, conditions),
        ]
    except DBAPIError:
        # As in the search: whatever the database refuses still gets an answer, not an error.
        session.rollback()
        notes.append("These statistics could not be computed; try simpler words.")
        total, charts = 0, []
    return Statistics(params=params, total=total, charts=charts, notes=notes, errors=errors)


def _matching_ids(conditions: Conditions) -> Select[Any]:
    return select(Deployment.id).where(*conditions.all())


def _grouped(session: Session, column: Any, conditions: Conditions) -> dict[Any, int]:
    rows = session.execute(
        select(col(column), func.count()).where(*conditions.all()).group_by(col(column))
    ).all()
    return {value: int(count) for value, count in rows}


def _by_country(session: Session, conditions: Conditions) -> Chart:
    counts = _grouped(session, Deployment.country, conditions)
    ordered = sorted(counts, key=lambda code: (-counts[code], country_name(code)))
    bars = [Bar(code, country_name(code), counts[code]) for code in ordered[:TOP_COUNTRIES]]
    rest = ordered[TOP_COUNTRIES:]
    note = ""
    if rest:
        bars.append(Bar("", f"Other countries ({len(rest)})", sum(counts[c] for c in rest)))
        note = f"The {TOP_COUNTRIES} countries with most records; the other {len(rest)} together."
    return Chart("country", "Records by country", bars, note)


def _by_vendor(session: Session, conditions: Conditions) -> Chart:
    matching = _matching_ids(conditions)
    count = func.count(func.distinct(DeploymentVendor.deployment_id))
    linked = col(DeploymentVendor.deployment_id).in_(matching)
    rows = session.execute(
        select(Vendor.slug, Vendor.name, count)
        .join(DeploymentVendor, col(DeploymentVendor.vendor_id) == Vendor.id)
        .where(linked)
        .group_by(col(Vendor.id), col(Vendor.slug), col(Vendor.name))
        .order_by(count.desc(), col(Vendor.name))
        .limit(TOP_VENDORS)
    ).all()
    vendors = session.execute(
        select(func.count(func.distinct(DeploymentVendor.vendor_id))).where(linked)
    ).scalar_one()
    unnamed = session.execute(
        select(func.count())
        .select_from(Deployment)
        .where(
            *conditions.all(),
            col(Deployment.id).not_in(select(DeploymentVendor.deployment_id)),
        )
    ).scalar_one()
    bars = [Bar(slug, name, int(n)) for slug, name, n in rows]
    parts = ["A record with several vendors counts once for each."]
    if vendors > len(bars):
        parts.append(f"The {len(bars)} vendors with most records of {vendors}.")
    if unnamed:
        parts.append(f"{unnamed} {_records(unnamed)} name no vendor.")
    return Chart("vendor", "Records by vendor", bars, " ".join(parts))


def _by_capability(session: Session, conditions: Conditions) -> Chart:
    matching = _matching_ids(conditions)
    bars: list[Bar] = []
    for term in vocab.CAPABILITIES:
        # A parent counts each record that has it or any capability below it, once.
        keys = sorted(vocab.capability_with_descendants(term.key))
        n = session.execute(
            select(func.count(func.distinct(DeploymentCapability.deployment_id))).where(
                col(DeploymentCapability.deployment_id).in_(matching),
                col(DeploymentCapability.capability_key).in_(keys),
            )
        ).scalar_one()
        if n:
            bars.append(Bar(term.key, term.label, int(n), depth=1 if term.parent else 0))
    note = (
        "A record with several capabilities counts once for each; "
        "a general capability also counts the records of the specific ones below it."
    )
    return Chart("capability", "Records by capability", bars, note)


def _by_oversight(session: Session, conditions: Conditions) -> Chart:
    counts = _grouped(session, Deployment.oversight_status, conditions)
    bars = [Bar(t.key, t.label, counts.get(t.key, 0)) for t in vocab.OVERSIGHT_STATUSES]
    return Chart(
        "oversight",
        "Records by oversight status",
        bars,
        "Every status, including those no record has.",
    )


def _by_year(session: Session, conditions: Conditions) -> Chart:
    counts = _grouped(session, Deployment.first_year, conditions)
    unknown = counts.pop(None, 0)
    bars: list[Bar] = []
    note = "Each record counts in its first known year: the earlier of announced and started."
    if counts:
        first, last = min(counts), max(counts)
        width = next(
            (w for w in YEAR_BIN_WIDTHS if (last - first) // w + 1 <= MAX_YEAR_BARS),
            YEAR_BIN_WIDTHS[-1],
        )
        start = first - first % width if width > 1 else first
        for low in range(start, last + 1, width):
            high = low + width - 1
            n = sum(c for year, c in counts.items() if low <= year <= high)
            bars.append(Bar(str(low), str(low) if width == 1 else f"{low}–{high}", n))
        if width > 1:
            note += f" Grouped in spans of {width} years."
    if unknown:
        bars.append(Bar("", "Year not known", unknown))
    return Chart("year", "Records by first year", bars, note)


def _records(n: int) -> str:
    return "record" if n == 1 else "records"
