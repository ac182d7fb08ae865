"""Certificate PDFs, stored with their SHA-256; append-only like the certificates.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificate_pdfs",
        sa.Column("certificate_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_seq"], ["certificates.seq"], name=op.f("fk_certificate_pdfs_certificate_seq_certificates")
        ),
        sa.PrimaryKeyConstraint("certificate_seq", name=op.f("pk_certificate_pdfs")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER certificate_pdfs_append_only BEFORE UPDATE OR DELETE ON certificate_pdfs "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER certificate_pdfs_no_{verb.lower()} BEFORE {verb} ON certificate_pdfs "
                "BEGIN SELECT RAISE(ABORT, 'certificate_pdfs rows are append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("certificate_pdfs")
