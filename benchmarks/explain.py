"""Where a search spends its time: each SQL statement of a few typical searches, with its plan.

    python -m benchmarks.explain --database-url sqlite:///benchmarks/out/sqlite-100k.sqlite3

Runs app.services.search.search in-process (no HTTP), records every statement it sends, then
runs each statement again on its own connection, timing execution and fetching together (on
SQLite a statement does its work while rows are fetched), and prints the slowest with the
database's plan for it.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app.db import create_db_engine
from app.services.search import SearchParams, search

SCENARIOS: dict[str, SearchParams] = {
    "unfiltered": SearchParams(),
    "one country": SearchParams(country=("US",)),
    "broad capability": SearchParams(capability=("cctv",)),
    "parent capability": SearchParams(capability=("video_analytics",)),
    "common word": SearchParams(q="cameras"),
    "rare word": SearchParams(q="gunshot"),
    "word + country": SearchParams(q="police", country=("US",)),
    "deep page, title order": SearchParams(sort="title", page=40),
}


def timed_statements(
    engine: Engine, params: SearchParams
) -> tuple[float, int, list[tuple[str, Any]]]:
    captured: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        captured.append((args[2], args[3]))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            search(session=session, params=params)  # warm caches and compiled statements
            captured.clear()
            started = time.perf_counter()
            total = search(session=session, params=params).total
            elapsed = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return elapsed, total, captured


def plan(conn: Connection, statement: str, parameters: Any) -> list[str]:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return [str(row[3]) for row in rows]
    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
    return [str(row[0]) for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--top", type=int, default=4, help="statements shown per search")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), default=[])
    args = parser.parse_args(argv)
    engine = create_db_engine(args.database_url)
    try:
        for name, params in SCENARIOS.items():
            if args.only and name not in args.only:
                continue
            elapsed, total, statements = timed_statements(engine, params)
            timings: list[tuple[float, str, Any]] = []
            with engine.connect() as conn:
                for statement, parameters in statements:
                    started = time.perf_counter()
                    conn.exec_driver_sql(statement, parameters).fetchall()
                    timings.append((time.perf_counter() - started, statement, parameters))
                sql_ms = sum(t[0] for t in timings) * 1000
                print(
                    f"\n## {name}: {total} matches, search() {elapsed * 1000:.0f} ms, "
                    f"{len(timings)} statements {sql_ms:.0f} ms"
                )
                for seconds, statement, parameters in sorted(timings, key=lambda t: -t[0])[
                    : args.top
                ]:
                    print(f"{seconds * 1000:8.1f} ms  {' '.join(statement.split())[:600]}")
                    for line in plan(conn, statement, parameters):
                        print(f"             {line}")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
