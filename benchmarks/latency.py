"""Latency of the search page (with facets) and the record page, over HTTP, one client.

    python -m benchmarks.latency --database-url sqlite:///benchmarks/out/sqlite-100k.sqlite3

Starts `safecity serve` (one worker) on 127.0.0.1 against the database, draws a request mix
from what the database holds, warms up, then sends a fixed number of requests one at a time over
one keep-alive connection and prints p50/p95/p99/max per kind as markdown table rows. Bounded:
--requests per kind and a --max-seconds cap on the whole run; the server is always stopped.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import col, select

import app
from app.db import create_db_engine
from app.models import Deployment
from app.text import tokens
from benchmarks.corpus import TECH_NOUNS

REPO = Path(__file__).resolve().parent.parent
STOP_WORDS = frozenset({"the", "for", "and", "along", "national", "project", "pilot", "expansion"})


@dataclass
class Sample:
    """Values drawn from the database so every request asks for something that exists."""

    ids: list[int]
    countries: list[str]
    vendors: list[str]
    capabilities: list[str]
    words: list[str]


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    errors: int = 0
    cpu_seconds: float = 0.0  # the server process's CPU time spent on these requests


def absolute_sqlite(url: str) -> str:
    """The server runs in another working directory; a relative SQLite path must not move."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database:
        return parsed.set(database=str(Path(parsed.database).resolve())).render_as_string(
            hide_password=False
        )
    return url


def draw_sample(engine: Engine, rng: random.Random, size: int = 2000) -> Sample:
    """Attributes of random published records: filters then follow the data's own skew.

    Every query is ordered, so the same database and seed give the same requests whatever plan
    the database picks."""
    with engine.connect() as conn:
        ids = [
            i
            for i in conn.execute(
                select(col(Deployment.id))
                .where(col(Deployment.state) == "published")
                .order_by(col(Deployment.id))
            ).scalars()
            if i is not None
        ]
        picked = rng.sample(ids, min(size, len(ids)))
        chunk = ",".join(map(str, picked))
        countries = list(
            conn.execute(
                text(f"SELECT country FROM deployment WHERE id IN ({chunk}) ORDER BY id")
            ).scalars()
        )
        vendors = list(
            conn.execute(
                text(
                    "SELECT v.slug FROM deployment_vendor dv JOIN vendor v ON v.id = dv.vendor_id "
                    f"WHERE dv.deployment_id IN ({chunk}) ORDER BY dv.deployment_id, v.id, dv.role"
                )
            ).scalars()
        )
        capabilities = list(
            conn.execute(
                text(
                    "SELECT capability_key FROM deployment_capability "
                    f"WHERE deployment_id IN ({chunk}) ORDER BY deployment_id, capability_key"
                )
            ).scalars()
        )
        titles = conn.execute(
            text(f"SELECT title, city FROM deployment WHERE id IN ({chunk}) ORDER BY id")
        )
        words = [
            w
            for title, city in titles
            for w in tokens(f"{title} {city or ''}")
            if len(w) >= 4 and w not in STOP_WORDS
        ]
    return Sample(
        ids=ids, countries=countries, vendors=vendors, capabilities=capabilities, words=words
    )


def typo(word: str, rng: random.Random) -> str:
    """The word with two neighbouring letters swapped, as people mistype."""
    i = rng.randrange(len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def search_query(rng: random.Random, sample: Sample) -> tuple[str, list[tuple[str, str]]]:
    """One search request, labelled with the kind of search it is.

    The mix: 15% the bare search page, 25% words, 20% one facet filter, 15% words and a facet,
    10% another sort order, 11% a later page, 4% a mistyped word (often no match, which asks
    for a "did you mean" suggestion).
    """

    def q() -> str:
        shape = rng.random()
        if shape < 0.45:
            return rng.choice(sample.words)
        if shape < 0.7:
            return f"{rng.choice(sample.words)} {rng.choice(sample.words)}"
        if shape < 0.85:
            return f'"{rng.choice(rng.choice(list(TECH_NOUNS.values())))}"'
        return rng.choice(sample.words)[:4] + "*"

    def facet() -> list[tuple[str, str]]:
        name = rng.choice(("country", "vendor", "capability", "capability", "status"))
        if name == "country":
            return [("country", rng.choice(sample.countries))]
        if name == "vendor":
            return [("vendor", rng.choice(sample.vendors))]
        if name == "capability":
            return [("capability", rng.choice(sample.capabilities))]
        return [("status", rng.choice(("operational", "pilot", "planned")))]

    roll = rng.random()
    if roll < 0.15:
        return "unfiltered", []
    if roll < 0.40:
        return "text", [("q", q())]
    if roll < 0.60:
        return "facet filter", facet()
    if roll < 0.75:
        return "text + facet", [("q", q()), *facet()]
    if roll < 0.85:
        return "sorted", [("sort", rng.choice(("title", "updated", "newest")))]
    if roll < 0.96:
        return "deep page", [("page", str(rng.randint(2, 50)))]
    return "typo", [("q", typo(rng.choice(sample.words), rng))]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def server(database_url: str, port: int, log_path: Path) -> Iterator[int]:
    if not port_is_free(port):
        raise SystemExit(f"error: port {port} is in use; pick another with --port")
    env = {
        **os.environ,
        "SAFECITY_DATABASE_URL": database_url,
        "SAFECITY_SECRET_KEY": "benchmark-only-secret-key",
        "SAFECITY_DATA_DIR": str(log_path.parent),
        # The server runs the same app code as this script imported (a worktree, say).
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(app_folder()), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=log_path.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(process, port, log_path)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_up(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"error: the server exited:\n{log_path.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("error: the server did not answer within 60 s")


class Client:
    """One keep-alive connection; reconnects if the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> tuple[int, int, float]:
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                body = response.read()
                return response.status, len(body), time.perf_counter() - started
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def app_folder() -> Path:
    return Path(app.__file__).resolve().parent.parent


def app_version() -> str:
    """Which code was measured: the app package's folder and its git commit, if it has one."""
    folder = app_folder()
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "not a git checkout"
    return f"{folder} ({commit})"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux /proc; 0 elsewhere).

    Ticks are 10 ms, but summed over hundreds of requests the mean per request is sound; unlike
    wall time it hardly grows when other work competes for the cores."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


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
        record_id = rng.choice(sample.ids)
        if "search" in args.kinds:
            query = "?" + urlencode(params) if params else ""
            plan.append(("search", label, "/deployments" + query))
        if "record" in args.kinds:
            plan.append(("record", "record", f"/deployments/{record_id}"))
    warmup = [search_query(rng, sample) for _ in range(args.warmup)]
    warmup_paths = ["/deployments?" + urlencode(params) for _label, params in warmup]
    warmup_paths += [f"/deployments/{rng.choice(sample.ids)}" for _ in range(args.warmup)]
    rng.shuffle(plan)
    results: dict[str, Timings] = {}
    with (
        tempfile.TemporaryDirectory(prefix="safecity-bench-") as tmp,
        server(url, args.port, Path(tmp) / "server.log") as pid,
    ):
        client = Client(args.port)
        # The server must be reading this database (and the pages must work) before we time it.
        for path in (f"/deployments/{sample.ids[0]}", "/deployments"):
            status, _size, _seconds = client.get(path)
            if status != 200:
                raise SystemExit(f"error: GET {path} answered {status}; is the app working?")
        for path in warmup_paths:
            client.get(path)
        deadline = time.monotonic() + args.max_seconds
        for kind, label, path in plan:
            if time.monotonic() > deadline:
                print(f"stopped at the {args.max_seconds} s cap", file=sys.stderr)
                break
            cpu_before = cpu_seconds(pid)
            status, size, seconds = client.get(path)
            cpu = cpu_seconds(pid) - cpu_before
            for key in dict.fromkeys((kind, kind if label == kind else f"{kind}: {label}")):
                timing = results.setdefault(key, Timings())
                timing.seconds.append(seconds)
                timing.sizes.append(size)
                timing.cpu_seconds += cpu
                if status != 200:
                    timing.errors += 1
                    if timing.errors <= 3:
                        print(f"HTTP {status} for {path}", file=sys.stderr)
        client.conn.close()
    return results


def report(results: dict[str, Timings], label: str) -> None:
    print(
        "| database | request | n | p50 ms | p95 ms | p99 ms | max ms | server CPU ms/req "
        "| avg KiB | non-200 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in sorted(results, key=lambda k: (k.split(":")[0], ":" in k, k)):
        t = results[key]
        ms = [s * 1000 for s in t.seconds]
        print(
            f"| {label} | {key} | {len(ms)} | {percentile(ms, 0.5):.1f} | "
            f"{percentile(ms, 0.95):.1f} | {percentile(ms, 0.99):.1f} | {max(ms):.1f} | "
            f"{t.cpu_seconds * 1000 / len(ms):.1f} | "
            f"{sum(t.sizes) / len(t.sizes) / 1024:.1f} | {t.errors} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="", help="first column of the table")
    parser.add_argument(
        "--kinds",
        nargs="+",
        choices=("search", "record"),
        default=["search", "record"],
        help="which pages to request (the mix of searches is drawn either way)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()
    results = run(args)
    label = args.label or make_url(args.database_url).drivername.split("+")[0]
    report(results, label)
    print(f"\napp measured: {app_version()}")
    # Other work on the machine shows in the figures; the load average says how much there was.
    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"{sum(len(t.seconds) for k, t in results.items() if ':' not in k)} requests "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
