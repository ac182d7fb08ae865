"""Verification reports: the customs desk's signed records of a batch of checks, kept for a documented period.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("certificate_ids", sa.JSON(), nullable=False),
        sa.Column("pdf", sa.LargeBinary()),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
    )
    op.create_index("ix_reports_expires_at", "reports", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_expires_at", table_name="reports")
    op.drop_table("reports")
