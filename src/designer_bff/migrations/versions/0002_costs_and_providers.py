"""costs and providers: the setup guide's cost columns, enhanced designs, budget caps

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 19:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Batch mode: SQLite rebuilds the table, PostgreSQL alters it in place.
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.alter_column("cost_usd", new_column_name="generation_cost", server_default="0")
        batch_op.add_column(
            sa.Column(
                "enhancement_cost",
                sa.Numeric(precision=12, scale=6),
                server_default="0",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("source_image_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("params", JSON, server_default="{}", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_images_source_image_id_images"),
            "images",
            ["source_image_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_images_source", ["source_image_id"], unique=False)
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.alter_column("provider", new_column_name="model_provider")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("budget_cap_usd", sa.Numeric(precision=12, scale=4), nullable=True)
        )
    with op.batch_alter_table("cost_ledger", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "unit_price_usd",
                sa.Numeric(precision=12, scale=6),
                server_default="0",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cost_ledger", schema=None) as batch_op:
        batch_op.drop_column("unit_price_usd")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("budget_cap_usd")
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.alter_column("model_provider", new_column_name="provider")
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_index("ix_images_source")
        batch_op.drop_constraint(batch_op.f("fk_images_source_image_id_images"), type_="foreignkey")
        batch_op.drop_column("params")
        batch_op.drop_column("source_image_id")
        batch_op.drop_column("enhancement_cost")
        batch_op.alter_column("generation_cost", new_column_name="cost_usd", server_default=None)
