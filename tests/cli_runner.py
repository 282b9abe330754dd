"""Run the `safecity` command as an operator does: a child process started in a folder of its
own (so no .env file of the repository is read), with only the SAFECITY_* settings given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def safecity(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=cwd,
        env=child_env(cwd, env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def safecity_on(
    database_url: str, *args: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`safecity ARGS` against this database, with its data folder in cwd/data."""
    return safecity(*args, cwd=cwd, env={"SAFECITY_DATABASE_URL": database_url})


def child_env(cwd: Path, overrides: dict[str, str] | None) -> dict[str, str]:
    """The environment of a child `safecity`: ours without SAFECITY_*, plus the overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECITY_")}
    env["PYTHONPATH"] = str(REPO)
    env["SAFECITY_DATA_DIR"] = str(cwd / "data")
    env.update(overrides or {})
    return env
