"""learning corrections, nightly cost limits and run results

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 12:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_preferences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correction", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("reset_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("nightly_schedules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_cost", sa.Numeric(12, 6), nullable=True))
    with op.batch_alter_table("nightly_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("designs", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("cost_usd", sa.Numeric(12, 6), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("collection_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_nightly_runs_collection_id_collections"),
            "collections",
            ["collection_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("nightly_runs", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_nightly_runs_collection_id_collections"), type_="foreignkey"
        )
        batch_op.drop_column("collection_id")
        batch_op.drop_column("cost_usd")
        batch_op.drop_column("designs")
        batch_op.drop_column("scheduled_for")
    with op.batch_alter_table("nightly_schedules", schema=None) as batch_op:
        batch_op.drop_column("max_cost")
    with op.batch_alter_table("user_preferences", schema=None) as batch_op:
        batch_op.drop_column("reset_at")
        batch_op.drop_column("correction")
