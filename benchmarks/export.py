"""Throughput and server memory of a CSV export of every record, over HTTP.

    python -m benchmarks.export --database-url sqlite:///benchmarks/out/dx-sqlite-100k.sqlite3

Starts `safecity serve` (one worker) on 127.0.0.1, warms it up with a small export, then
downloads /deployments.csv (all records, the search's default order) --runs times over one
connection. While each download runs, a thread samples the server process's resident memory
(VmRSS in /proc/<pid>/status) every 20 ms. Prints rows/s, MB/s and the server's RSS before,
at its peak during the download, and the growth, as markdown table rows. Bounded by
--max-seconds; the server is always stopped.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from benchmarks.latency import absolute_sqlite, wait_until_up

CHUNK = 1 << 16


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of a process, in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


@contextmanager
def serving(database_url: str, port: int, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "SAFECITY_DATABASE_URL": database_url,
        "SAFECITY_SECRET_KEY": "benchmark-only-secret-key",
        "SAFECITY_DATA_DIR": str(folder),
    }
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(process, port, log_path)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Sampler(threading.Thread):
    """Samples a process's VmRSS until stopped; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = rss_kib(pid)
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self.samples += 1
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


@dataclass
class Run:
    rows: int
    megabytes: float
    seconds: float
    rss_before_kib: int
    rss_peak_kib: int
    samples: int
    cpu: float  # the server's CPU seconds during the download

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def growth_mib(self) -> float:
        return (self.rss_peak_kib - self.rss_before_kib) / 1024


def download(port: int, path: str, target: Path) -> tuple[int, float]:
    """GET path into a file; returns (bytes, seconds to the last byte)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"error: HTTP {response.status} for {path}")
    size = 0
    with target.open("wb") as out:
        while chunk := response.read(CHUNK):
            out.write(chunk)
            size += len(chunk)
    seconds = time.perf_counter() - started
    conn.close()
    return size, seconds


def count_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1  # less the header


def run(args: argparse.Namespace) -> list[Run]:
    url = absolute_sqlite(args.database_url)
    runs: list[Run] = []
    deadline = time.monotonic() + args.max_seconds
    with (
        tempfile.TemporaryDirectory(prefix="safecity-export-bench-") as tmp,
        serving(url, args.port, Path(tmp)) as process,
    ):
        folder = Path(tmp)
        # Warm-up: import every module the export uses, fill the database's page cache.
        download(args.port, "/deployments.csv?country=RS", folder / "warm.csv")
        download(args.port, "/api/v1/deployments", folder / "warm.json")
        for _ in range(args.runs):
            if time.monotonic() > deadline:
                print(f"stopped at the {args.max_seconds} s cap", file=sys.stderr)
                break
            target = folder / "export.csv"
            before = rss_kib(process.pid)
            cpu_before = cpu_seconds(process.pid)
            sampler = Sampler(process.pid)
            sampler.start()
            try:
                size, seconds = download(args.port, args.path, target)
            finally:
                sampler.stop()
            runs.append(
                Run(
                    rows=count_rows(target),
                    megabytes=size / 1e6,
                    seconds=seconds,
                    rss_before_kib=before,
                    rss_peak_kib=sampler.peak,
                    samples=sampler.samples,
                    cpu=cpu_seconds(process.pid) - cpu_before,
                )
            )
            target.unlink()
        hwm = rss_kib(process.pid, "VmHWM")
    print(f"server VmHWM at the end: {hwm / 1024:.1f} MiB", file=sys.stderr)
    return runs


def report(runs: list[Run], label: str, path: str) -> None:
    print(
        "| database | request | run | rows | MB | seconds | rows/s | server CPU s "
        "| server RSS before MiB | peak MiB | growth MiB | samples |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for number, r in enumerate(runs, 1):
        print(
            f"| {label} | `GET {path}` | {number} | {r.rows:,} | {r.megabytes:.1f} | "
            f"{r.seconds:.2f} | {r.rows_per_second:,.0f} | {r.cpu:.2f} | "
            f"{r.rss_before_kib / 1024:.1f} | "
            f"{r.rss_peak_kib / 1024:.1f} | {r.growth_mib:.1f} | {r.samples} |"
        )
    if runs:
        median = statistics.median(r.rows_per_second for r in runs)
        worst = max(r.growth_mib for r in runs)
        print(f"\nmedian {median:,.0f} rows/s; largest RSS growth during an export {worst:.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--path", default="/deployments.csv", help="export to download")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--label", default="", help="first column of the table")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    runs = run(args)
    report(runs, args.label or make_url(args.database_url).drivername.split("+")[0], args.path)
    print(f"load average (1 min) before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
