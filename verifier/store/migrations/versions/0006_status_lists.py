"""Bitstring Status Lists: each certificate's random index, the bits set, when each list changed.

Certificates issued before get their indexes here, and the revoked and suspended ones their bits.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LIST_SIZE = 131_072
FILL = LIST_SIZE // 2
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "status_entries",
        sa.Column("issuer_id", sa.String(40), sa.ForeignKey("issuers.id", name="fk_status_entries_issuer_id_issuers"),
                  nullable=False),
        sa.Column("status_index", sa.BigInteger(), nullable=False),
        sa.Column("certificate_seq", SEQ,
                  sa.ForeignKey("certificates.seq", name="fk_status_entries_certificate_seq_certificates"),
                  nullable=False),
        sa.PrimaryKeyConstraint("issuer_id", "status_index", name="pk_status_entries"),
        sa.UniqueConstraint("certificate_seq", name="uq_status_entries_certificate_seq"),
    )  # fmt: skip
    op.create_table(
        "status_bits",
        sa.Column("issuer_id", sa.String(40), sa.ForeignKey("issuers.id", name="fk_status_bits_issuer_id_issuers"),
                  nullable=False),
        sa.Column("purpose", sa.String(12), nullable=False),
        sa.Column("status_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("issuer_id", "purpose", "status_index", name="pk_status_bits"),
    )  # fmt: skip
    op.create_table(
        "status_lists",
        sa.Column("issuer_id", sa.String(40), sa.ForeignKey("issuers.id", name="fk_status_lists_issuer_id_issuers"),
                  nullable=False),
        sa.Column("purpose", sa.String(12), nullable=False),
        sa.Column("list_number", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("issuer_id", "purpose", "list_number", name="pk_status_lists"),
    )  # fmt: skip
    _backfill()


def _backfill() -> None:
    """Indexes for the certificates already issued; bits for those revoked or suspended now."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT seq, issuer_id FROM certificates ORDER BY seq")).all()
    given: dict[str, set[int]] = {}
    entries = []
    for seq, issuer_id in rows:
        used = given.setdefault(issuer_id, set())
        base = (len(used) // FILL) * LIST_SIZE
        index = base + secrets.randbelow(LIST_SIZE)
        while index in used:
            index = base + secrets.randbelow(LIST_SIZE)
        used.add(index)
        entries.append({"issuer_id": issuer_id, "status_index": index, "certificate_seq": seq})
    if not entries:
        return
    table = sa.table("status_entries", sa.column("issuer_id"), sa.column("status_index"), sa.column("certificate_seq"))
    conn.execute(sa.insert(table), entries)
    latest = conn.execute(sa.text(
        "SELECT e.certificate_seq, e.state FROM status_events e JOIN (SELECT certificate_seq, max(seq) AS seq "
        "FROM status_events GROUP BY certificate_seq) m ON m.seq = e.seq"
    )).all()  # fmt: skip
    by_seq = {e["certificate_seq"]: e for e in entries}
    bits, touched = [], set()
    for certificate_seq, state in latest:
        purpose = {"revoked": "revocation", "suspended": "suspension"}.get(state)
        entry = by_seq.get(certificate_seq)
        if purpose and entry:
            bits.append({"issuer_id": entry["issuer_id"], "purpose": purpose, "status_index": entry["status_index"]})
            touched.add((entry["issuer_id"], purpose, entry["status_index"] // LIST_SIZE))
    if bits:
        conn.execute(sa.insert(sa.table("status_bits", sa.column("issuer_id"), sa.column("purpose"),
                                        sa.column("status_index"))), bits)  # fmt: skip
        now = datetime.now(UTC).replace(microsecond=0)
        lists = sa.table("status_lists", sa.column("issuer_id"), sa.column("purpose"), sa.column("list_number"),
                         sa.column("updated_at", sa.DateTime(timezone=True)), sa.column("changes"))  # fmt: skip
        conn.execute(sa.insert(lists), [
            {"issuer_id": i, "purpose": p, "list_number": n, "updated_at": now, "changes": 1}
            for i, p, n in sorted(touched)
        ])  # fmt: skip


def downgrade() -> None:
    op.drop_table("status_lists")
    op.drop_table("status_bits")
    op.drop_table("status_entries")
