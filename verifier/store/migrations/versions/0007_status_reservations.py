"""Status indexes reserved before sealing: a status entry may wait for its certificate.

Issuance draws a certificate's status-list index before it seals (the seal carries it), and stores
the certificate later; until then the entry is a reservation with no certificate. A reservation
whose issuance failed stays taken: an index is never reused.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.alter_column("certificate_seq", existing_type=SEQ, nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM status_entries WHERE certificate_seq IS NULL")
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.alter_column("certificate_seq", existing_type=SEQ, nullable=False)
