"""Imports of existing certificates: the file and mapping of each, its dry run's counts and its jobs; the mappings
an issuer saved; what each imported certificate was before (its row, original date of issue and status).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

MOMENT = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("issuer_id", sa.String(40), sa.ForeignKey("issuers.id", name="fk_imports_issuer_id_issuers"),
                  nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("file", sa.LargeBinary()),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("job_ids", sa.JSON()),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("started_at", MOMENT),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )  # fmt: skip
    op.create_index("ix_imports_issuer_created", "imports", ["issuer_id", "created_at"])
    op.create_table(
        "import_mappings",
        sa.Column("issuer_id", sa.String(40),
                  sa.ForeignKey("issuers.id", name="fk_import_mappings_issuer_id_issuers"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("issuer_id", "name", name="pk_import_mappings"),
    )  # fmt: skip
    op.create_table(
        "certificate_imports",
        sa.Column("certificate_seq", SEQ,
                  sa.ForeignKey("certificates.seq", name="fk_certificate_imports_certificate_seq_certificates"),
                  nullable=False, autoincrement=False),
        sa.Column("import_id", sa.String(36), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date()),
        sa.Column("original_status", sa.String(12), nullable=False),
        sa.PrimaryKeyConstraint("certificate_seq", name="pk_certificate_imports"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("certificate_imports")
    op.drop_table("import_mappings")
    op.drop_index("ix_imports_issuer_created", table_name="imports")
    op.drop_table("imports")
