"""Latency of the JSON API's list endpoint (and one record), over HTTP, one client.

    python -m benchmarks.api --database-url sqlite:///benchmarks/out/dx-sqlite-100k.sqlite3

Starts `safecity serve` (one worker) on 127.0.0.1, draws the same request mix as
benchmarks/latency.py (words, facet filters, sorts, deep pages, typos) from what the database
holds, sends it to /api/v1/deployments (and /api/v1/deployments/{id}) one request at a time over
one keep-alive connection, and prints p50/p95/p99/max per kind as markdown table rows. Bounded
by --requests and --max-seconds; the server is always stopped.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy.engine import make_url

from app.db import create_db_engine
from benchmarks.export import cpu_seconds, serving
from benchmarks.latency import Client, Timings, absolute_sqlite, draw_sample, search_query
from benchmarks.latency import report as latency_report


def run(args: argparse.Namespace) -> dict[str, Timings]:
    rng = random.Random(args.seed)
    url = absolute_sqlite(args.database_url)
    engine = create_db_engine(url)
    try:
        sample = draw_sample(engine, rng)
    finally:
        engine.dispose()
    plan: list[tuple[str, str, str]] = []  # (kind, label, path)
    for _ in range(args.requests):
        label, params = search_query(rng, sample)
        query = "?" + urlencode(params) if params else ""
        plan.append(("api list", label, "/api/v1/deployments" + query))
        plan.append(("api record", "api record", f"/api/v1/deployments/{rng.choice(sample.ids)}"))
    warmup = [
        "/api/v1/deployments?" + urlencode(search_query(rng, sample)[1]) for _ in range(args.warmup)
    ]
    rng.shuffle(plan)
    results: dict[str, Timings] = {}
    with (
        tempfile.TemporaryDirectory(prefix="safecity-api-bench-") as tmp,
        serving(url, args.port, Path(tmp)) as process,
    ):
        client = Client(args.port)
        for path in warmup:
            client.get(path)
        deadline = time.monotonic() + args.max_seconds
        for kind, label, path in plan:
            if time.monotonic() > deadline:
                print(f"stopped at the {args.max_seconds} s cap", file=sys.stderr)
                break
            cpu_before = cpu_seconds(process.pid)
            status, size, seconds = client.get(path)
            cpu = cpu_seconds(process.pid) - cpu_before
            for key in dict.fromkeys((kind, kind if label == kind else f"{kind}: {label}")):
                timing = results.setdefault(key, Timings())
                timing.seconds.append(seconds)
                timing.sizes.append(size)
                # The server's CPU time, where this version of Timings records it.
                setattr(timing, "cpu_seconds", getattr(timing, "cpu_seconds", 0.0) + cpu)  # noqa: B010
                # 422 is the API's answer to a filter naming nothing (an unknown vendor slug).
                if status not in (200, 422):
                    timing.errors += 1
                    if timing.errors <= 3:
                        print(f"HTTP {status} for {path}", file=sys.stderr)
        client.conn.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=500, help="requests of each kind")
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="", help="first column of the table")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()
    results = run(args)
    latency_report(results, args.label or make_url(args.database_url).drivername.split("+")[0])
    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    total = sum(len(t.seconds) for k, t in results.items() if ":" not in k)
    print(f"{total} requests in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
