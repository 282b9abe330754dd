"""`safecity user add`: the password from a hidden prompt or stdin, never the command line;
one-line errors; an account made here signs in on the web."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from staff import login
from typer.testing import CliRunner

from app.cli import app, main
from app.config import Settings, get_settings
from app.main import create_app
from app.models import User

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "a passphrase from stdin"


def user_add(
    *args: str, cwd: Path, database_url: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECITY_")}
    env.update(
        PYTHONPATH=str(REPO), SAFECITY_DATA_DIR=str(cwd / "data"),
        SAFECITY_DATABASE_URL=database_url,
    )
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "user", "add", *args],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120,
    )


def test_add_with_password_stdin_then_sign_in_on_the_web(
    tmp_path: Path, database_url: str, settings: Settings, engine: Engine
) -> None:
    result = user_add(
        "--email", "Ana@Example.org", "--name", "Ana Petrović", "--role", "admin",
        "--password-stdin", cwd=tmp_path, database_url=database_url, stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Added admin ana@example.org (Ana Petrović)")
    assert PASSWORD not in result.stdout + result.stderr
    with Session(engine) as session:
        user = session.exec(select(User)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert (user.role, user.active) == ("admin", True)
    with TestClient(create_app(settings, engine=engine)) as client:
        login(client, "ana@example.org", PASSWORD)
        assert client.get("/staff/users").status_code == 200


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
    stdin: str = "",
) -> tuple[int, str]:
    """`safecity user add ARGS` in this process (as the entry point runs it): exit status and
    the one stderr line."""
    monkeypatch.setattr(sys, "argv", ["safecity", "user", "add", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    code = exited.value.code
    assert isinstance(code, int)
    if code:
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("safecity: error: "), err
    return code, err


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[None]:
    monkeypatch.setenv("SAFECITY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SAFECITY_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
def test_errors_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def add(*args: str, stdin: str = PASSWORD) -> tuple[int, str]:
        return run_main(monkeypatch, capsys, *args, "--name", "Ana", "--password-stdin",
                        stdin=stdin)

    code, err = add("--email", "a@example.org", stdin="short\n")
    assert code == 1 and "at least 12 characters" in err
    code, err = add("--email", "a@example.org", stdin="")
    assert code == 1 and "no password on standard input" in err
    code, err = add("--email", "nope")
    assert code == 1 and "Enter an email address" in err
    code, err = add("--email", "a@example.org", "--role", "root")
    assert code == 2 and "root" in err
    assert add("--email", "a@example.org")[0] == 0
    code, err = add("--email", "A@example.org")
    assert code == 1 and "exists already" in err


@pytest.mark.usefixtures("cli_env")
def test_hidden_prompt_asks_twice(engine: Engine) -> None:
    runner = CliRunner()
    args = ["user", "add", "--email", "prompt@example.org", "--name", "Prompted"]
    # Different answers are asked again; the password never appears in the output.
    typed = f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n"
    result = runner.invoke(app, args, input=typed, prog_name="safecity")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert PASSWORD not in result.output
    with Session(engine) as session:
        assert session.exec(select(User.email)).one() == "prompt@example.org"
