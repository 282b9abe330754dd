"""Fill an empty database with synthetic deployments for benchmarking.

    python -m benchmarks.generate --database-url sqlite:///benchmarks/out/100k.sqlite3 \
        --count 100000 --seed 1

Migrates the database, then bulk-inserts vendors, organisations, deployments with their links,
sources and oversight events through Core (the ORM hooks do not run, so the derived columns are
set here as app/search_index.py derives them), rebuilds the full-text index once and runs
ANALYZE. The same seed gives the same rows.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import migrate, vocab
from app.db import create_db_engine
from app.search_index import country_name, partial_year, reindex_all
from app.text import slugify, tokens
from benchmarks import corpus
from benchmarks.world import Weighted, World, build_world, table, weighted

T = TypeVar("T")
BATCH = 2000
SPAN_START = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_END = datetime(2026, 1, 1, tzinfo=UTC)


STATUS = weighted([
    ("operational", 30), ("announced", 8), ("planned", 8), ("procured", 8), ("pilot", 12),
    ("expanded", 8), ("suspended", 4), ("decommissioned", 5), ("cancelled", 4), ("unknown", 13),
])  # fmt: skip
OVERSIGHT = weighted([
    ("unknown", 35), ("none_known", 25), ("proposed", 8), ("assessed", 5), ("regulated", 10),
    ("challenged", 7), ("restricted", 3), ("banned", 2), ("terminated", 5),
])  # fmt: skip
SOURCE_COUNT = weighted([(1, 35), (2, 30), (3, 18), (4, 10), (5, 7)])
CAPABILITY_COUNT = weighted([(1, 30), (2, 25), (3, 20), (4, 12), (5, 8), (6, 5)])
MULTI_SOURCE_VERIFICATION = weighted([("corroborated", 75), ("verified", 15), ("unverified", 10)])
VENDOR_COUNT = weighted([(1, 60), (2, 30), (3, 10)])
OPERATOR_COUNT = weighted([(0, 15), (1, 70), (2, 15)])
ROLE = Weighted(corpus.ROLES, corpus.ROLE_WEIGHTS)
CAPABILITY = weighted(list(corpus.CAPABILITY_WEIGHTS.items()))
SOURCE_TYPE = weighted([
    ("news", 55), ("government", 10), ("procurement", 10), ("foi_response", 4), ("vendor", 6),
    ("court", 2), ("ngo_report", 8), ("academic", 3), ("photo", 1), ("other", 1),
])  # fmt: skip
EVENT_KINDS = [t.key for t in vocab.OVERSIGHT_EVENT_KINDS]
CHILDREN: dict[str, list[str]] = {
    t.key: [c.key for c in vocab.CAPABILITIES if c.parent == t.key] for t in vocab.CAPABILITIES
}
PARENT: dict[str, str | None] = {t.key: t.parent for t in vocab.CAPABILITIES}
CLAIMS = ("Number of cameras", "Vendor and contract date", "Capabilities", "Funding", "Status")


@dataclass
class Batch:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, name: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(name, []).append(row)


# Insert order respects the foreign keys.
TABLE_ORDER = (
    "deployment",
    "source",
    "deployment_vendor",
    "deployment_operator",
    "deployment_capability",
    "deployment_source",
    "oversight_event",
    "oversight_event_source",
)


def partial_date(rng: random.Random, year: int) -> str:
    precision = rng.random()
    if precision < 0.4:
        return f"{year:04d}"
    month = rng.randint(1, 12)
    if precision < 0.75:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{rng.randint(1, 28):02d}"


class DeploymentMaker:
    """Builds the rows of one deployment and everything linked to it."""

    def __init__(self, rng: random.Random, world: World, count: int) -> None:
        self.rng = rng
        self.world = world
        self.count = count
        self.next_source = 1
        self.next_event = 1
        self.recent_sources: list[int] = []

    def capabilities(self) -> list[str]:
        rng = self.rng
        keys = CAPABILITY.distinct(rng, CAPABILITY_COUNT.draw(rng))
        for key in list(keys):
            parent = PARENT[key]
            if parent and parent not in keys and rng.random() < 0.5:
                keys.append(parent)
            if CHILDREN[key] and rng.random() < 0.5:
                keys.extend(k for k in rng.sample(CHILDREN[key], 2) if k not in keys)
        return keys[:8]

    def add(self, batch: Batch, deployment_id: int) -> None:
        rng, world = self.rng, self.world
        country = world.countries.draw(rng)
        name_of_country = country_name(country)
        city = world.cities[country].draw(rng) if rng.random() < 0.85 else None
        region = world.city_region[(country, city)] if city else None
        if region is None and world.regions[country] and rng.random() < 0.3:
            region = rng.choice(world.regions[country])
        caps = self.capabilities()
        tech = rng.choice(corpus.TECH_NOUNS.get(caps[0], corpus.TECH_NOUNS["cctv"]))
        vendors = world.vendors.distinct(rng, VENDOR_COUNT.draw(rng))
        operators = self.operators(country, city)
        programme = rng.choice(corpus.PROGRAMMES) if rng.random() < 0.4 else None
        site = rng.choice(corpus.SITES) if rng.random() < 0.3 else None
        year = 2005 + int(21.99 * rng.random() ** 0.6)
        words = {
            "programme": programme or rng.choice(corpus.PROGRAMMES),
            "city": city or region or name_of_country,
            "country": name_of_country,
            "tech": tech,
            "vendor": vendors[0][1],
            "operator": operators[0][1] if operators else f"National Police of {name_of_country}",
            "site": site or rng.choice(corpus.SITES),
            "year": year,
            "later": min(year + rng.randint(1, 4), 2030),
            "count": rng.randint(10, 5000),
            "sites": rng.randint(2, 300),
            "funder": rng.choice(corpus.FUNDERS),
            "value": f"{rng.randint(1, 900)} million",
            "currency": rng.choice(corpus.CURRENCIES),
        }
        title = rng.choice(corpus.TITLE_PATTERNS).format(**words)
        title = title[0].upper() + title[1:]
        summary_parts = rng.sample(corpus.SUMMARY_SENTENCES, rng.randint(2, 4))
        summary = " ".join(s.format(**words) for s in summary_parts)
        status = STATUS.draw(rng)
        announced = partial_date(rng, year) if rng.random() < 0.8 else None
        started = None
        if rng.random() < 0.6:
            started = partial_date(rng, min(year + rng.randint(0, 2), 2026))
        ended = None
        if status in ("decommissioned", "cancelled", "suspended") and rng.random() < 0.7:
            ended = partial_date(rng, min(year + rng.randint(1, 5), 2026))
        known_years = [y for y in (partial_year(announced), partial_year(started)) if y is not None]
        n_sources = SOURCE_COUNT.draw(rng)
        if n_sources == 1:
            verification = "verified" if rng.random() < 0.1 else "unverified"
        else:
            verification = MULTI_SOURCE_VERIFICATION.draw(rng)
        lat = lon = None
        precision = "city" if city else ("region" if region else "country")
        if rng.random() < 0.35:
            centre = world.centres[country]
            lat = round(centre[0] + rng.uniform(-3, 3), 5)
            lon = round(centre[1] + rng.uniform(-3, 3), 5)
            precision = rng.choice(("site", "exact"))
        cameras = int(rng.lognormvariate(4, 1.3)) + 1 if rng.random() < 0.5 else None
        financed = rng.random() < 0.25
        valued = rng.random() < 0.2
        archived = rng.random() < 0.03
        created = SPAN_START + (SPAN_END - SPAN_START) * (deployment_id / (self.count + 1))
        created += timedelta(seconds=rng.randint(0, 3600))
        updated = created
        if rng.random() < 0.4:
            updated = min(created + timedelta(days=rng.uniform(0, 400)), SPAN_END)
        batch.add("deployment", {
            "id": deployment_id, "slug": slugify(title), "title": title, "summary": summary,
            "country": country, "region": region, "city": city, "site": site,
            "latitude": lat, "longitude": lon, "geo_precision": precision,
            "programme": programme, "status": status, "announced_on": announced,
            "started_on": started, "ended_on": ended, "camera_count": cameras,
            "site_count": words["sites"] if cameras and rng.random() < 0.5 else None,
            "scale_note": f"{cameras}+ cameras" if cameras and rng.random() < 0.3 else None,
            "financing": rng.choice(("loan", "grant", "municipal budget", "concession"))
            if financed else None,
            "funder": words["funder"] if financed else None,
            "contract_value": Decimal(rng.randint(10_000, 900_000_000)) if valued else None,
            "currency": words["currency"] if valued else None,
            "oversight_status": OVERSIGHT.draw(rng), "verification": verification,
            "last_verified_on": date(2025, rng.randint(1, 12), rng.randint(1, 28))
            if verification == "verified" else None,
            "state": "archived" if archived else "published",
            "archived_reason": "Merged into another record." if archived else None,
            "is_demo": False,
            "first_year": min(known_years) if known_years else None,
            "ended_year": partial_year(ended),
            "title_sort": " ".join(tokens(title))[:300],
            "created_at": created, "updated_at": updated,
        })  # fmt: skip
        roles = ["prime" if rng.random() < 0.7 else ROLE.draw(rng)]
        roles += [ROLE.draw(rng) for _ in vendors[1:]]
        for (vendor_id, _name), role in zip(vendors, roles, strict=True):
            batch.add(
                "deployment_vendor",
                {"deployment_id": deployment_id, "vendor_id": vendor_id, "role": role},
            )
        for org_id in dict.fromkeys(o[0] for o in operators):
            batch.add(
                "deployment_operator", {"deployment_id": deployment_id, "organisation_id": org_id}
            )
        for key in caps:
            batch.add(
                "deployment_capability", {"deployment_id": deployment_id, "capability_key": key}
            )
        source_ids = self.sources(batch, deployment_id, n_sources, words)
        if rng.random() < 0.05:
            self.events(batch, deployment_id, year, source_ids)

    def operators(self, country: str, city: str | None) -> list[tuple[int, str]]:
        rng = self.rng
        chosen: list[tuple[int, str]] = []
        for _ in range(OPERATOR_COUNT.draw(rng)):
            if city and rng.random() < 0.5:
                chosen.append(self.world.municipal_orgs[(country, city)])
            else:
                chosen.append(rng.choice(self.world.national_orgs[country]))
        return chosen

    def sources(self, batch: Batch, deployment_id: int, n: int, words: dict[str, Any]) -> list[int]:
        rng = self.rng
        ids: list[int] = []
        for position in range(n):
            if self.recent_sources and rng.random() < 0.15:
                source_id = rng.choice(self.recent_sources)
                if source_id in ids:
                    continue
            else:
                source_id = self.next_source
                self.next_source += 1
                batch.add("source", self.source_row(source_id, words))
                self.recent_sources.append(source_id)
                if len(self.recent_sources) > 5000:
                    self.recent_sources = self.recent_sources[-2500:]
            ids.append(source_id)
            batch.add("deployment_source", {
                "deployment_id": deployment_id, "source_id": source_id,
                "claim": rng.choice(CLAIMS) if rng.random() < 0.3 else None, "position": position,
            })  # fmt: skip
        return ids

    def source_row(self, source_id: int, words: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        publisher = rng.choice(self.world.publishers)
        title = rng.choice(corpus.SOURCE_TITLE_PATTERNS).format(**words)
        year = min(words["year"] + rng.randint(0, 3), 2026)
        path = f"{year}/{slugify(title, max_length=60)}-{source_id}"
        url = f"https://{slugify(publisher)}.example/{path}"
        has_url = rng.random() < 0.9
        return {
            "id": source_id, "url": url if has_url else None, "title": title[:500],
            "publisher": publisher, "published_on": partial_date(rng, year),
            "archived_url": f"https://archive.example/{source_id}" if has_url and rng.random() < 0.4
            else None,
            "source_type": SOURCE_TYPE.draw(rng),
            "excerpt": rng.choice(corpus.SUMMARY_SENTENCES).format(**words)[:400]
            if rng.random() < 0.5 else None,
            "accessed_on": date(2025, rng.randint(1, 12), rng.randint(1, 28)),
        }  # fmt: skip

    def events(self, batch: Batch, deployment_id: int, year: int, source_ids: list[int]) -> None:
        rng = self.rng
        for _ in range(rng.randint(1, 2)):
            event_id = self.next_event
            self.next_event += 1
            kind = rng.choice(EVENT_KINDS)
            batch.add("oversight_event", {
                "id": event_id, "deployment_id": deployment_id,
                "date": partial_date(rng, min(year + rng.randint(0, 4), 2026)), "kind": kind,
                "body": rng.choice(("Data Protection Authority", "Constitutional Court",
                                    "City Council", "Parliament", "Ombudsperson")),
                "outcome": rng.choice(("pending", "dismissed", "upheld", "partly upheld", None)),
                "description": f"A {kind.replace('_', ' ')} concerning the deployment.",
            })  # fmt: skip
            batch.add(
                "oversight_event_source",
                {"event_id": event_id, "source_id": rng.choice(source_ids)},
            )


def timed(label: str, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def generate(engine: Engine, *, count: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    dialect = engine.dialect.name
    with Session(engine) as session:
        existing = session.execute(select(func.count()).select_from(table("vendor"))).scalar_one()
        existing += session.execute(
            select(func.count()).select_from(table("deployment"))
        ).scalar_one()
        if existing:
            raise SystemExit(
                "error: the database already holds vendors or deployments; use an empty one"
            )
        world = build_world(rng, session)
        maker = DeploymentMaker(rng, world, count)
        started = time.perf_counter()
        for start in range(1, count + 1, BATCH):
            batch = Batch()
            for deployment_id in range(start, min(start + BATCH, count + 1)):
                maker.add(batch, deployment_id)
            for name in TABLE_ORDER:
                if batch.rows.get(name):
                    session.execute(table(name).insert(), batch.rows[name])
            done = min(start + BATCH - 1, count)
            if done % 20_000 < BATCH or done == count:
                print(f"  {done} deployments, {time.perf_counter() - started:.1f} s", flush=True)
        if dialect == "postgresql":
            for name in ("vendor", "organisation", "deployment", "source", "oversight_event"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                    )
                )
        timed("full-text index", lambda: reindex_all(session))
        timed("commit", session.commit)
        counts = {
            name: session.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in ("vendor", "organisation", *TABLE_ORDER)
        }
    if dialect == "sqlite":
        with engine.connect() as conn:
            timed("ANALYZE", lambda: conn.execute(text("ANALYZE")))
            conn.commit()
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            timed("VACUUM ANALYZE", lambda: conn.execute(text("VACUUM ANALYZE")))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    timed("migrate", lambda: migrate.upgrade(args.database_url))
    engine = create_db_engine(args.database_url)
    try:
        counts = generate(engine, count=args.count, seed=args.seed)
    finally:
        engine.dispose()
    for name, n in counts.items():
        print(f"{name:>24}: {n}")
    print(f"total: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
