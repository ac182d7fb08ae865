"""The console's people: user accounts (per issuer, or the operator's), their roles and sign-in state, and
their sessions. A password is kept only as an Argon2id hash, an invitation and a session only as SHA-256.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("issuer_id", sa.String(40), sa.ForeignKey("issuers.id", name="fk_users_issuer_id_issuers")),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("invitation_sha256", sa.LargeBinary(32)),
        sa.Column("invited_until", MOMENT),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", MOMENT),
        sa.Column("disabled_at", MOMENT),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.UniqueConstraint("invitation_sha256", name="uq_users_invitation_sha256"),
    )
    op.create_table(
        "sessions",
        sa.Column("id_sha256", sa.LargeBinary(32), nullable=False),
        sa.Column(
            "user_id", sa.String(16), sa.ForeignKey("users.id", name="fk_sessions_user_id_users"), nullable=False
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("seen_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("ended_at", MOMENT),
        sa.PrimaryKeyConstraint("id_sha256", name="pk_sessions"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("users")
