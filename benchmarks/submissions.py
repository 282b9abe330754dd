"""Accepted public submissions per second, over HTTP, and a check that none was lost.

    python -m benchmarks.submissions                      # 16 clients, 30 s, a fresh SQLite file
    python -m benchmarks.submissions --image-every 4      # every 4th submission carries a photo

Migrates a fresh database, starts `safecity serve` (one worker) on 127.0.0.1 with the hourly
submission limits raised (every client comes from 127.0.0.1, so the per-address limit would
otherwise stop the run after ten), and lets --clients threads each fetch the form once, wait
out the minimum fill-in time, then post it over one keep-alive connection for --seconds. The
honeypot, the signed render time and CSRF stay on. Afterwards every receipt code that was
handed out is looked up (by its hash) in the database. Prints markdown table rows.
Bounded: the run stops after --seconds and the server is always stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from sqlalchemy import text

import app
from app import migrate
from app.db import create_db_engine

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
RECEIPT = re.compile(r'id="receipt-code" class="receipt-code">([^<]+)<')
MIN_SECONDS = 3.0  # the app's default minimum fill-in time, left on


@dataclass
class Tally:
    codes: list[str] = field(default_factory=list)
    refused: int = 0
    errors: int = 0
    seconds: list[float] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used (Linux), so figures hold up on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(database_url: str, port: int, data_dir: Path) -> Iterator[int]:
    env = {
        **os.environ,
        "SAFECITY_DATABASE_URL": database_url,
        "SAFECITY_DATA_DIR": str(data_dir),
        "SAFECITY_SECRET_KEY": "benchmark-only-secret-key",
        # Raised for the benchmark: all its clients share one address.
        "SAFECITY_SUBMISSIONS_PER_HOUR_PER_CLIENT": "10000000",
        "SAFECITY_SUBMISSIONS_PER_HOUR_GLOBAL": "10000000",
        "PYTHONPATH": str(Path(app.__file__).resolve().parent.parent),
    }
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit("error: the server exited:\n" + log_path.read_text()[-2000:])
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("error: the server did not answer within 60 s") from None
                    time.sleep(0.2)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 150)).save(out, "JPEG", quality=85)
    return out.getvalue()


def multipart(fields: list[tuple[str, str]], image: bytes | None) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    data, filename = (image, "photo.jpg") if image else (b"", "")
    kind = "image/jpeg" if image else "application/octet-stream"
    chunks.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image_1"; filename="{filename}"'
        f"\r\nContent-Type: {kind}\r\n\r\n".encode() + data + b"\r\n"
    )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class Client(threading.Thread):
    def __init__(self, number: int, port: int, start: threading.Barrier, until: list[float],
                 image_every: int) -> None:
        super().__init__(daemon=True)
        self.number, self.port, self.start_line, self.until = number, port, start, until
        self.image_every = image_every
        self.tally = Tally()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None) -> tuple[int, str]:
        headers = {"Content-Type": content_type} if content_type else {}
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read().decode()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def run(self) -> None:
        status, page = self.request("GET", "/submit")
        assert status == 200, status
        hidden = HIDDEN.findall(page.split('id="submission-form"', 1)[1])
        image = photo()
        self.start_line.wait()
        n = 0
        while time.monotonic() < self.until[0]:
            n += 1
            fields = [
                *hidden,
                ("title", f"Benchmark cameras {self.number}-{n} in Novi Sad"),
                ("country", "RS"),
                ("city", "Novi Sad"),
                ("summary", "Cameras with licence-plate recognition at the city's entrances."),
                ("status", "operational"),
                ("capabilities", "alpr"),
                ("source_1_url", f"https://example.org/news/{self.number}/{n}"),
                ("source_1_title", "Cameras at the entrances"),
                ("source_1_source_type", "news"),
            ]
            with_image = self.image_every and n % self.image_every == 0
            body, content_type = multipart(fields, image if with_image else None)
            started = time.perf_counter()
            try:
                status, page = self.request("POST", "/submit", body, content_type)
            except OSError:
                self.tally.errors += 1
                continue
            self.tally.seconds.append(time.perf_counter() - started)
            code = RECEIPT.search(page) if status == 200 else None
            if code:
                self.tally.codes.append(code.group(1))
            elif status == 429:
                self.tally.refused += 1
            else:
                self.tally.errors += 1
        self.conn.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--image-every", type=int, default=0,
                        help="attach a 640x480 JPEG to every Nth submission (0: never)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the database and server log in this folder")
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 1 <= args.seconds <= 300:
        raise SystemExit("error: use 1-64 clients and 1-300 seconds")

    folder = args.keep or Path(tempfile.mkdtemp(prefix="safecity-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "submissions.sqlite3"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    migrate.upgrade(url)
    port = free_port()
    until = [float("inf")]
    start_line = threading.Barrier(args.clients + 1)
    clients = [Client(i, port, start_line, until, args.image_every) for i in range(args.clients)]
    with server(url, port, folder) as pid:
        for client in clients:
            client.start()
        time.sleep(MIN_SECONDS + 0.5)  # the forms were fetched; a person would take longer
        until[0] = time.monotonic() + args.seconds
        began, cpu_before = time.monotonic(), cpu_seconds(pid)
        start_line.wait()
        for client in clients:
            client.join(timeout=args.seconds + 120)
        elapsed, cpu = time.monotonic() - began, cpu_seconds(pid) - cpu_before

    codes = [code for client in clients for code in client.tally.codes]
    refused = sum(client.tally.refused for client in clients)
    errors = sum(client.tally.errors for client in clients)
    latencies = [s for client in clients for s in client.tally.seconds]
    engine = create_db_engine(url)
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT receipt_hash FROM submission")).scalars())
        rows = conn.execute(text("SELECT count(*) FROM submission")).scalar_one()
        images = conn.execute(text("SELECT count(*) FROM evidence_image")).scalar_one()
    engine.dispose()
    missing = [c for c in codes if hashlib.sha256(c.encode()).hexdigest() not in stored]

    print("| clients | seconds | accepted | accepted/s | refused | errors | p50 ms | p95 ms "
          "| p99 ms | server CPU ms each | rows | photos | codes missing |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.clients} | {elapsed:.1f} | {len(codes)} | {len(codes) / elapsed:.1f} "
        f"| {refused} | {errors} | {percentile(latencies, 0.5) * 1000:.0f} "
        f"| {percentile(latencies, 0.95) * 1000:.0f} | {percentile(latencies, 0.99) * 1000:.0f} "
        f"| {cpu * 1000 / max(1, len(codes)):.1f} | {rows} | {images} | {len(missing)} |"
    )
    if missing or errors:
        raise SystemExit(f"error: {len(missing)} receipt codes missing, {errors} requests failed")


if __name__ == "__main__":
    main()
