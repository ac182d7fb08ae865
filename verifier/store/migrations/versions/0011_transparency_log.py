"""The transparency log: its entries (sequenced here, so replicas can never fork it), the tree as tiles,
the checkpoints the log signed, the witnesses who cosign them and their cosignatures.

``log_state`` holds two counters: ``sequenced`` (entries given an index, in the transaction of the change
they record) and ``integrated`` (the tree's size, with its right edge, hashed into tiles and signed).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEX = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "log_entries",
        sa.Column("idx", INDEX, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.LargeBinary(32)),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idx", name="pk_log_entries"),
    )
    op.create_index("ix_log_entries_subject", "log_entries", ["subject"])
    op.create_table(
        "log_state",
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("size", INDEX, nullable=False),
        sa.Column("edge", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_log_state"),
    )
    op.bulk_insert(
        sa.table("log_state", sa.column("name"), sa.column("size"), sa.column("edge", sa.LargeBinary())),
        [{"name": "sequenced", "size": 0, "edge": b""}, {"name": "integrated", "size": 0, "edge": b""}],
    )
    op.create_table(
        "log_tiles",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("idx", INDEX, nullable=False, autoincrement=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_log_tiles"),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("size", INDEX, nullable=False, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_log_checkpoints"),
    )
    op.create_table(
        "log_witnesses",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("party_id", sa.String(40)),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("name", name="pk_log_witnesses"),
    )
    op.create_table(
        "log_cosignatures",
        sa.Column("size", INDEX, nullable=False, autoincrement=False),
        sa.Column("witness", sa.String(255), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", "witness", name="pk_log_cosignatures"),
    )
    op.create_index("ix_log_cosignatures_witness_size", "log_cosignatures", ["witness", "size"])
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_change()")  # fmt: skip
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER log_entries_no_{verb.lower()} BEFORE {verb} ON log_entries "
                       "BEGIN SELECT RAISE(ABORT, 'log_entries rows are append-only'); END")  # fmt: skip


def downgrade() -> None:
    for table in ("log_cosignatures", "log_witnesses", "log_checkpoints", "log_tiles", "log_state", "log_entries"):
        op.drop_table(table)
