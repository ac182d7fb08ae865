"""The console's search: each certificate's holder names, HS codes and markets as search terms (the ones issued
before are given theirs here), and the audit log read by target (a certificate's page lists its entries).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CHUNK = 500


def _terms(record: dict[str, Any]) -> dict[str, str]:
    """As verifier.store.desk.terms made them when this revision was written (a migration keeps its own copy)."""
    holder = record.get("holder") or {}
    names = [str(holder.get(k) or "") for k in ("name", "name_en", "credit_code")]
    codes = [str(p.get("hs_code") or "") for p in record.get("products") or ()]
    return {
        "holder": "\n".join(n.lower() for n in names if n),
        "hs_codes": " " + " ".join(c for c in codes if c) + " ",
        "markets": " " + " ".join(str(m) for m in record.get("markets") or ()) + " ",
    }


def upgrade() -> None:
    terms = op.create_table(
        "certificate_terms",
        sa.Column("certificate_seq", SEQ,
                  sa.ForeignKey("certificates.seq", name="fk_certificate_terms_certificate_seq_certificates"),
                  nullable=False, autoincrement=False),
        sa.Column("issuer_id", sa.String(40), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("hs_codes", sa.Text(), nullable=False),
        sa.Column("markets", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("certificate_seq", name="pk_certificate_terms"),
    )  # fmt: skip
    op.create_index("ix_certificate_terms_issuer_id", "certificate_terms", ["issuer_id", "certificate_seq"])
    op.create_index("ix_audit_log_target", "audit_log", ["target", "seq"])
    certificates = sa.table(
        "certificates", sa.column("seq", SEQ), sa.column("issuer_id", sa.String), sa.column("record", sa.JSON)
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(certificates.c.seq, certificates.c.issuer_id, certificates.c.record)
            .where(certificates.c.seq > last).order_by(certificates.c.seq).limit(CHUNK)
        ).all()  # fmt: skip
        if not rows:
            break
        op.bulk_insert(terms, [{"certificate_seq": r.seq, "issuer_id": r.issuer_id, **_terms(r.record)} for r in rows])
        last = rows[-1].seq


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_certificate_terms_issuer_id", table_name="certificate_terms")
    op.drop_table("certificate_terms")
