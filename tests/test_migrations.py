"""The schema comes from Alembic only: models and the migration head agree, on both backends.

Also: every migration runs down to base and up again, and the backend-specific search index
objects (not in the models) exist after `upgrade head`.
"""

from __future__ import annotations

import ast
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

import app.models  # noqa: F401  (fills the metadata)
from app import migrate
from app.db import create_db_engine

ENV_PY = migrate.MIGRATIONS / "env.py"


def _env_include_object() -> Callable[..., bool]:
    """migrations/env.py's own include_object, so this test filters exactly as autogenerate does.

    env.py runs the migrations when imported, so compile just the filter and what it uses.
    """
    tree = ast.parse(ENV_PY.read_text(), filename=str(ENV_PY))
    names = {"include_object", "SEARCH_INDEX_OBJECTS"}

    def defines(node: ast.stmt) -> set[str]:
        if isinstance(node, ast.FunctionDef):
            return {node.name}
        if isinstance(node, ast.Assign):
            return {t.id for t in node.targets if isinstance(t, ast.Name)}
        return set()

    wanted = [node for node in tree.body if defines(node) & names]
    assert len(wanted) == 2, f"migrations/env.py no longer defines {sorted(names)}"
    namespace: dict[str, Any] = {"Any": Any}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), str(ENV_PY), "exec"), namespace)
    return namespace["include_object"]  # type: ignore[no-any-return]


INCLUDE_OBJECT = _env_include_object()


def schema_diff(engine: Engine, metadata: sa.MetaData) -> list[Any]:
    """What autogenerate would write for this database against this metadata."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": INCLUDE_OBJECT,
                "render_as_batch": conn.dialect.name == "sqlite",
            },
        )
        return list(compare_metadata(context, metadata))


def table_names(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def app_tables() -> set[str]:
    return set(SQLModel.metadata.tables)


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it at all, not even alembic_version."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    yield database_url


def test_models_match_migration_head(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision(str(engine.url))
    diff = schema_diff(engine, SQLModel.metadata)
    assert diff == [], f"models and migrations differ; write a migration for: {diff}"


def _metadata_copy() -> sa.MetaData:
    copy = sa.MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def test_schema_check_catches_a_model_change(engine: Engine) -> None:
    """The check above can fail: a column or table missing from the migrations shows up."""
    changed = _metadata_copy()
    changed.tables["deployment"].append_column(sa.Column("not_migrated", sa.Integer, nullable=True))
    sa.Table("not_migrated_table", changed, sa.Column("id", sa.Integer, primary_key=True))

    diff = schema_diff(engine, changed)

    kinds = {(entry[0], entry[-1].name if entry[0] == "add_column" else entry[1].name)
             for entry in diff if isinstance(entry, tuple)}
    assert ("add_column", "not_migrated") in kinds
    assert ("add_table", "not_migrated_table") in kinds


def test_schema_check_catches_a_type_change(engine: Engine) -> None:
    changed = _metadata_copy()
    title = changed.tables["deployment"].c.title
    title.type = sa.Integer()

    diff = schema_diff(engine, changed)

    flat = [entry for group in diff for entry in (group if isinstance(group, list) else [group])]
    assert any(entry[0] == "modify_type" and entry[3] == "title" for entry in flat), diff


def test_upgrade_from_an_empty_database(empty_database_url: str) -> None:
    engine = create_db_engine(empty_database_url)
    try:
        assert table_names(engine) == set()
        migrate.upgrade(empty_database_url)
        assert migrate.current_revision(engine) == migrate.head_revision(empty_database_url)
        assert app_tables() <= table_names(engine)
        assert schema_diff(engine, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    config = migrate.alembic_config(database_url)
    engine = create_db_engine(database_url)
    try:
        command.downgrade(config, "base")
        assert migrate.current_revision(engine) is None
        left = table_names(engine) - {"alembic_version"}
        assert left == set(), f"downgrade to base left tables behind: {sorted(left)}"

        migrate.upgrade(database_url)
        assert migrate.current_revision(engine) == migrate.head_revision(database_url)
        assert schema_diff(engine, SQLModel.metadata) == []
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM capability")).scalar_one() > 0

        # Twice, so a downgrade that only works on a never-touched schema shows up too.
        command.downgrade(config, "base")
        migrate.upgrade(database_url)
        assert migrate.current_revision(engine) == migrate.head_revision(database_url)
    finally:
        engine.dispose()


def test_search_index_objects_exist(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = conn.execute(sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'deployment_fts'"
            )).scalar_one()
            assert "fts5" in sql.lower()
            assert "remove_diacritics" in sql
        else:
            columns = {c["name"]: c for c in sa.inspect(conn).get_columns("deployment_search")}
            assert set(columns) == {"deployment_id", "document"}
            assert str(columns["document"]["type"]).upper() == "TSVECTOR"
            indexdef = conn.execute(
                sa.text(
                    "SELECT indexdef FROM pg_indexes "
                    "WHERE tablename = 'deployment_search' AND indexdef ILIKE '%USING gin%'"
                )
            ).scalar_one()
            assert "(document)" in indexdef

