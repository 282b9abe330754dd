"""Alembic environment: the only way the schema changes."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import app.models  # noqa: F401  (fills the metadata)
from app.config import get_settings
from app.db import create_db_engine

# Objects that exist on one backend only (the full-text index) are not in the models.
SEARCH_INDEX_OBJECTS = ("deployment_fts", "deployment_search")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table" and name is not None and name.startswith(SEARCH_INDEX_OBJECTS):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and str(table.name).startswith(SEARCH_INDEX_OBJECTS))


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render SQLModel's AutoString as plain sa.String so migrations need no sqlmodel import."""
    if type_ == "type" and isinstance(obj, AutoString):
        length = getattr(obj, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    return False


def run_migrations() -> None:
    config = context.config
    url = config.attributes.get("database_url") or get_settings().resolved_database_url
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()


run_migrations()
