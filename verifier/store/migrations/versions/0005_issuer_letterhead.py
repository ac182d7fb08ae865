"""The issuer's letterhead on the certificates' paper: address, contact, accreditation, signatory; a stamp.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LETTERHEAD = {
    "address": 200,
    "address_en": 300,
    "contact": 200,
    "accreditation": 100,
    "signatory": 100,
    "signatory_title": 100,
    "signatory_title_en": 100,
}


def upgrade() -> None:
    with op.batch_alter_table("issuers", schema=None) as batch_op:
        for name, length in LETTERHEAD.items():
            batch_op.add_column(sa.Column(name, sa.String(length), nullable=False, server_default=""))
    op.create_table(
        "issuer_stamps",
        sa.Column(
            "issuer_id",
            sa.String(40),
            sa.ForeignKey("issuers.id", name="fk_issuer_stamps_issuer_id_issuers"),
            primary_key=True,
        ),
        sa.Column("media_type", sa.String(20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer_id", name="pk_issuer_stamps"),
    )


def downgrade() -> None:
    op.drop_table("issuer_stamps")
    with op.batch_alter_table("issuers", schema=None) as batch_op:
        for name in reversed(LETTERHEAD):
            batch_op.drop_column(name)
