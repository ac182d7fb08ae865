"""An index on the PDFs' SHA-256: an uploaded file byte-identical to an issued one is found without reading it.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_certificate_pdfs_sha256", "certificate_pdfs", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_certificate_pdfs_sha256", table_name="certificate_pdfs")
