"""Fixtures: a fresh, migrated database per test on SQLite and (when reachable) PostgreSQL.

Each run migrates one template database per backend, then copies it for every test: a file
copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL. Every database a run creates is
dropped at the end, so parallel or repeated runs never collide.

PostgreSQL tests skip with a message when no server answers, unless SAFECITY_REQUIRE_POSTGRES=1
(set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import migrate
from app.config import Settings
from app.db import create_db_engine

PG_ADMIN_DSN = os.environ.get(
    "SAFECITY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("SAFECITY_REQUIRE_POSTGRES") == "1"
RUN_ID = uuid.uuid4().hex[:8]


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{dbname}"


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


class Backends:
    """Template databases, migrated once per run, and the copies made from them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None
        self._pg_error: str | None = None
        self.pg_databases: list[str] = []

    def sqlite_url(self) -> str:
        if self._sqlite_template is None:
            template = self.root / "template.sqlite3"
            migrate.upgrade(f"sqlite:///{template}")
            self._sqlite_template = template
        target = self.root / f"test-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(self._sqlite_template, target)
        return f"sqlite:///{target}"

    def postgres_url(self) -> str:
        if self._pg_error:
            self._unavailable(self._pg_error)
        if self._pg_template is None:
            name = f"safecity_tmpl_{RUN_ID}"
            try:
                _pg_admin(f'CREATE DATABASE "{name}"')
            except psycopg.OperationalError as exc:
                self._pg_error = str(exc).strip().splitlines()[0]
                self._unavailable(self._pg_error)
            self.pg_databases.append(name)
            migrate.upgrade(_pg_url(name))
            self._pg_template = name
        name = f"safecity_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_template}"')
        self.pg_databases.append(name)
        return _pg_url(name)

    def _unavailable(self, reason: str) -> None:
        message = f"PostgreSQL not reachable at {PG_ADMIN_DSN} ({reason})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + "; SAFECITY_REQUIRE_POSTGRES=1 makes this suite mandatory")
        pytest.skip(message + "; start it or set SAFECITY_TEST_PG_DSN to run the PostgreSQL tests")

    def drop_all(self) -> None:
        for name in reversed(self.pg_databases):
            with contextlib.suppress(psycopg.Error):
                _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    registry = Backends(tmp_path_factory.mktemp("db"))
    yield registry
    registry.drop_all()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, backends: Backends) -> str:
    """A fresh, migrated, empty database on each backend."""
    return backends.sqlite_url() if request.param == "sqlite" else backends.postgres_url()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key="test-secret")


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client
