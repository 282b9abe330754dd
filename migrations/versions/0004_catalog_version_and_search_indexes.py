"""catalog version and search indexes

A one-row counter that moves, in the same transaction, with every change search can see
(app/search_index.py bumps it), so per-process search state can tell it is out of date; and the
composite indexes that let the SQL parts of a search read an index instead of the table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEPLOYMENT_STATE_COLUMNS = ("country", "status", "oversight_status", "verification")


def upgrade() -> None:
    catalog_version = op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_version")),
    )
    op.bulk_insert(catalog_version, [{"id": 1, "version": 1}])
    # Plain index operations, no batch: a rebuild of `deployment` would cascade to its links.
    for column in DEPLOYMENT_STATE_COLUMNS:
        op.create_index(
            op.f(f"ix_deployment_state_{column}"), "deployment", ["state", column], unique=False
        )
    op.drop_index(op.f("ix_deployment_vendor_vendor_id"), table_name="deployment_vendor")
    op.create_index(
        op.f("ix_deployment_vendor_vendor_id_deployment_id"),
        "deployment_vendor",
        ["vendor_id", "deployment_id"],
        unique=False,
    )
    op.drop_index(
        op.f("ix_deployment_capability_capability_key"), table_name="deployment_capability"
    )
    op.create_index(
        op.f("ix_deployment_capability_capability_key_deployment_id"),
        "deployment_capability",
        ["capability_key", "deployment_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_deployment_capability_capability_key_deployment_id"),
        table_name="deployment_capability",
    )
    op.create_index(
        op.f("ix_deployment_capability_capability_key"),
        "deployment_capability",
        ["capability_key"],
        unique=False,
    )
    op.drop_index(
        op.f("ix_deployment_vendor_vendor_id_deployment_id"), table_name="deployment_vendor"
    )
    op.create_index(
        op.f("ix_deployment_vendor_vendor_id"), "deployment_vendor", ["vendor_id"], unique=False
    )
    for column in reversed(DEPLOYMENT_STATE_COLUMNS):
        op.drop_index(op.f(f"ix_deployment_state_{column}"), table_name="deployment")
    op.drop_table("catalog_version")
