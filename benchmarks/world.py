"""The reference data synthetic deployments draw from: places, vendors, organisations.

Countries come from pycountry with Zipf-skewed popularity, each with invented cities and its
real subdivisions as regions; vendors and organisations are invented and inserted here.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pycountry
from sqlalchemy import Table
from sqlmodel import Session, SQLModel

from app import vocab
from app.search_index import country_name
from app.text import slugify
from benchmarks import corpus

T = TypeVar("T")
SUBDIVISIONS: Any = pycountry.subdivisions  # untyped: its get() returns None for none
NATIONAL_BODIES = (
    ("National Police", "police"),
    ("Ministry of Interior", "interior_ministry"),
    ("Border Guard", "border_agency"),
    ("Armed Forces", "military"),
    ("Transport Authority", "transport"),
)


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


class Weighted:
    """A fixed list of items drawn with fixed weights (bisect over cumulative sums)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items: list[Any] = list(items)
        self.cum = corpus.cumulative(weights)

    def draw(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]

    def distinct(self, rng: random.Random, n: int) -> list[Any]:
        chosen: list[Any] = []
        for _ in range(n * 10):
            if len(chosen) == min(n, len(self.items)):
                break
            item = self.draw(rng)
            if item not in chosen:
                chosen.append(item)
        return chosen


def weighted(pairs: Sequence[tuple[Any, float]]) -> Weighted:
    return Weighted([p[0] for p in pairs], [p[1] for p in pairs])


@dataclass
class World:
    """The reference data deployments draw from: places, vendors, organisations, publishers."""

    countries: Weighted
    cities: dict[str, Weighted]
    city_region: dict[tuple[str, str], str | None]
    regions: dict[str, list[str]]
    centres: dict[str, tuple[float, float]]
    vendors: Weighted  # of (id, name)
    national_orgs: dict[str, list[tuple[int, str]]]
    municipal_orgs: dict[tuple[str, str], tuple[int, str]]
    publishers: list[str]


def build_world(rng: random.Random, session: Session) -> World:
    codes = sorted(c.alpha_2 for c in pycountry.countries)
    rng.shuffle(codes)
    codes = codes[:200]
    country_weights = corpus.zipf_weights(len(codes), 1.1)
    cities: dict[str, Weighted] = {}
    city_region: dict[tuple[str, str], str | None] = {}
    regions: dict[str, list[str]] = {}
    centres: dict[str, tuple[float, float]] = {}
    for code, weight in zip(codes, country_weights, strict=True):
        subdivisions = SUBDIVISIONS.get(country_code=code) or []
        regions[code] = sorted(str(s.name) for s in subdivisions)[:12]
        names: list[str] = []
        for _ in range(max(2, round(40 * weight / country_weights[0]))):
            name = corpus.place_name(rng)
            if name not in names:
                names.append(name)
        cities[code] = Weighted(names, corpus.zipf_weights(len(names), 1.0))
        for name in names:
            city_region[(code, name)] = rng.choice(regions[code]) if regions[code] else None
        centres[code] = (rng.uniform(-45, 60), rng.uniform(-160, 170))

    vendor_rows: list[dict[str, Any]] = []
    vendor_country = weighted(corpus.VENDOR_COUNTRIES)
    for i, name in enumerate(corpus.vendor_names(rng, 300), start=1):
        parent = rng.randint(1, 20) if i > 20 and rng.random() < 0.08 else None
        vendor_rows.append({
            "id": i, "name": name, "slug": slugify(name), "country": vendor_country.draw(rng),
            "ownership": rng.choice([t.key for t in vocab.OWNERSHIPS]),
            "website": f"https://{slugify(name)}.example/" if rng.random() < 0.7 else None,
            "description": f"{name} sells surveillance equipment and software.",
            "wikidata_id": None, "notes": "", "parent_id": parent,
        })  # fmt: skip
    session.execute(table("vendor").insert(), vendor_rows)

    org_rows: list[dict[str, Any]] = []
    national: dict[str, list[tuple[int, str]]] = {}
    municipal: dict[tuple[str, str], tuple[int, str]] = {}

    def organisation(name: str, kind: str, code: str) -> tuple[int, str]:
        org_id = len(org_rows) + 1
        org_rows.append({
            "id": org_id, "name": name, "slug": f"{slugify(name)}-{org_id}", "kind": kind,
            "country": code,
        })  # fmt: skip
        return org_id, name

    for code in codes:
        name_of_country = country_name(code)
        national[code] = [
            organisation(f"{body} of {name_of_country}", kind, code)
            for body, kind in NATIONAL_BODIES
        ]
        for city in cities[code].items:
            municipal[(code, city)] = organisation(f"City of {city}", "municipality", code)
    session.execute(table("organisation").insert(), org_rows)
    return World(
        countries=Weighted(codes, country_weights),
        cities=cities,
        city_region=city_region,
        regions=regions,
        centres=centres,
        vendors=Weighted(
            [(r["id"], r["name"]) for r in vendor_rows], corpus.zipf_weights(len(vendor_rows), 1.0)
        ),
        national_orgs=national,
        municipal_orgs=municipal,
        publishers=corpus.publisher_names(rng, 80),
    )
