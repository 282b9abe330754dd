"""deployment external reference

The key an imported record has in the dataset it came from (an Atlas of Surveillance AOSNUMBER,
stored as "aos:AOS000123"), unique so a second import of the same file finds the record again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Adding a nullable column and an index needs no table rebuild on SQLite, so plain
    # operations rather than a batch: a rebuild of `deployment` would cascade to its links.
    op.add_column("deployment", sa.Column("external_ref", sa.String(length=100), nullable=True))
    op.create_index(
        op.f("ix_deployment_external_ref"), "deployment", ["external_ref"], unique=True
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deployment_external_ref"), table_name="deployment")
    # SQLite 3.35+ drops a column in place (no rebuild), as PostgreSQL does.
    op.drop_column("deployment", "external_ref")
