"""Credentials signed once and stored; a row in ``status_lists`` for every list that holds an index.

Certificates issued before get their credential on its first read (signing needs the keys folder,
which a migration does not have). Lists opened but never changed get their row now (no change yet:
``changes`` 0, since their issuer's registration), so the lists there are can be read without
scanning every certificate's index.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LIST_SIZE = 131_072
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "certificate_credentials",
        sa.Column("certificate_seq", SEQ, sa.ForeignKey("certificates.seq",
                  name="fk_certificate_credentials_certificate_seq_certificates"), nullable=False),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("certificate_seq", name="pk_certificate_credentials"),
    )  # fmt: skip
    conn = op.get_bind()
    opened = conn.execute(
        sa.text(
            "SELECT DISTINCT e.issuer_id, e.status_index / :size AS number, i.created_at FROM status_entries e "
            "JOIN issuers i ON i.id = e.issuer_id"
        ),
        {"size": LIST_SIZE},
    ).all()
    present = set(conn.execute(sa.text("SELECT issuer_id, purpose, list_number FROM status_lists")).all())
    missing = [
        {"issuer_id": issuer, "purpose": purpose, "list_number": int(number), "updated_at": created, "changes": 0}
        for issuer, number, created in opened
        for purpose in ("revocation", "suspension")
        if (issuer, purpose, int(number)) not in present
    ]
    if missing:
        table = sa.table("status_lists", sa.column("issuer_id"), sa.column("purpose"), sa.column("list_number"),
                         sa.column("updated_at"), sa.column("changes"))  # fmt: skip
        op.bulk_insert(table, missing)


def downgrade() -> None:
    op.drop_table("certificate_credentials")
    op.execute("DELETE FROM status_lists WHERE changes = 0")
