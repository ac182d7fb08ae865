"""Watches: subscriptions to a certificate's changes, their webhook deliveries and every attempt, and how far
the events have been read.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

MOMENT = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("certificate_seq", SEQ,
                  sa.ForeignKey("certificates.seq", name="fk_watches_certificate_seq_certificates"), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("ended_at", MOMENT),
        sa.Column("ended_why", sa.String(40)),
        sa.PrimaryKeyConstraint("id", name="pk_watches"),
    )  # fmt: skip
    op.create_index("ix_watches_certificate_seq", "watches", ["certificate_seq"])
    op.create_index("ix_watches_host", "watches", ["host"])
    op.create_table(
        "watch_deliveries",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("watch_id", sa.String(24), sa.ForeignKey("watches.id", name="fk_watch_deliveries_watch_id_watches"),
                  nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", MOMENT, nullable=False),
        sa.Column("leased_until", MOMENT),
        sa.Column("done_at", MOMENT),
        sa.PrimaryKeyConstraint("seq", name="pk_watch_deliveries"),
        sa.UniqueConstraint("id", name="uq_watch_deliveries_id"),
    )  # fmt: skip
    op.create_index("ix_watch_deliveries_due", "watch_deliveries", ["state", "next_at"])
    op.create_index("ix_watch_deliveries_watch", "watch_deliveries", ["watch_id", "seq"])
    op.create_table(
        "watch_attempts",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("delivery_seq", SEQ,
                  sa.ForeignKey("watch_deliveries.seq", name="fk_watch_attempts_delivery_seq_watch_deliveries"),
                  nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("ms", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer()),
        sa.Column("outcome", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_watch_attempts"),
    )  # fmt: skip
    op.create_index("ix_watch_attempts_delivery", "watch_attempts", ["delivery_seq", "seq"])
    cursors = op.create_table(
        "watch_cursors",
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_watch_cursors"),
    )
    # Watches begin now: the events before this revision are read already.
    bind = op.get_bind()
    status = bind.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM status_events")).scalar()
    recognition = bind.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM recognition_events")).scalar()
    op.bulk_insert(cursors, [{"name": "status", "seq": int(status or 0)},
                             {"name": "recognition", "seq": int(recognition or 0)}])  # fmt: skip


def downgrade() -> None:
    op.drop_table("watch_cursors")
    op.drop_index("ix_watch_attempts_delivery", table_name="watch_attempts")
    op.drop_table("watch_attempts")
    op.drop_index("ix_watch_deliveries_watch", table_name="watch_deliveries")
    op.drop_index("ix_watch_deliveries_due", table_name="watch_deliveries")
    op.drop_table("watch_deliveries")
    op.drop_index("ix_watches_host", table_name="watches")
    op.drop_index("ix_watches_certificate_seq", table_name="watches")
    op.drop_table("watches")
