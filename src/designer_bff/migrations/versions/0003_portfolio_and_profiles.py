"""portfolio and style profiles: analysis jobs, batch analyses, profile history, upload hashes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "analysis_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_analysis_jobs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_jobs")),
    )
    with op.batch_alter_table("analysis_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_analysis_jobs_user", ["user_id", "created_at"], unique=False)

    op.create_table(
        "style_profile_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("image_count", sa.Integer(), nullable=False),
        sa.Column("top", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_style_profile_versions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_style_profile_versions")),
        sa.UniqueConstraint("user_id", "version", name="uq_style_profile_versions_user_version"),
    )

    with op.batch_alter_table("vlt_specifications", schema=None) as batch_op:
        batch_op.alter_column("image_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column("job_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("input_key", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("filename", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_vlt_specifications_job_id_analysis_jobs"),
            "analysis_jobs",
            ["job_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            "ix_vlt_specifications_status", ["status", "lease_expires_at"], unique=False
        )
        batch_op.create_index("ix_vlt_specifications_job", ["job_id"], unique=False)

    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "uq_images_user_content_hash", ["user_id", "content_hash"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_index("uq_images_user_content_hash")
        batch_op.drop_column("content_hash")
    op.execute("DELETE FROM vlt_specifications WHERE image_id IS NULL")
    with op.batch_alter_table("vlt_specifications", schema=None) as batch_op:
        batch_op.drop_index("ix_vlt_specifications_job")
        batch_op.drop_index("ix_vlt_specifications_status")
        batch_op.drop_constraint(
            batch_op.f("fk_vlt_specifications_job_id_analysis_jobs"), type_="foreignkey"
        )
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("filename")
        batch_op.drop_column("input_key")
        batch_op.drop_column("job_id")
        batch_op.alter_column("image_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_table("style_profile_versions")
    with op.batch_alter_table("analysis_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_analysis_jobs_user")
    op.drop_table("analysis_jobs")
