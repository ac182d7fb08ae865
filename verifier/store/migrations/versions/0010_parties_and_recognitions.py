"""Parties of the scheme (issuers and recognising bodies) and the recognitions the bodies sign.

An issuer row becomes a party: its country, its roles (``issue``, ``recognise``) and, for a body that
recognises, its remit (markets and schemes), with ``revision`` raised at every change of them (the trust
list's version counts it); ``keys_kept`` says whether the service keeps the party's private keys or only
the public ones (the body signs elsewhere). Every row there is an issuer: ``roles`` is ``issue``.

Recognitions are append-only like certificates; their status is their latest event. A body recognises a
certificate for a market once while that recognition stands (``recognition_markets``). Requests are an
issuer's asks of a body, answered by it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("recognitions", "recognition_events")


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}", name=f"fk_{table}_{column}_{target.split('.')[0]}")


def upgrade() -> None:
    op.add_column("issuers", sa.Column("country", sa.String(2), nullable=False, server_default="CN"))
    op.add_column("issuers", sa.Column("roles", sa.String(40), nullable=False, server_default="issue"))
    op.add_column("issuers", sa.Column("markets", sa.Text(), nullable=False, server_default=""))
    op.add_column("issuers", sa.Column("schemes", sa.Text(), nullable=False, server_default=""))
    op.add_column("issuers", sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("issuers", sa.Column("keys_kept", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "recognitions",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("certificate_seq", SEQ, _fk("recognitions", "certificate_seq", "certificates.seq"), nullable=False),
        sa.Column("party_id", sa.String(40), _fk("recognitions", "party_id", "issuers.id"), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("markets", sa.String(120), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kid", sa.LargeBinary(8), _fk("recognitions", "kid", "issuer_keys.kid"), nullable=False),
        sa.Column("cose", sa.LargeBinary(), nullable=False),
        sa.Column("seal_sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("status_index", sa.BigInteger()),
        sa.Column("request_id", sa.String(36)),
        sa.Column("signed_here", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_recognitions"),
        sa.UniqueConstraint("id", name="uq_recognitions_id"),
        sa.UniqueConstraint("seal_sha256", name="uq_recognitions_seal_sha256"),
        sa.UniqueConstraint("party_id", "number", name="uq_recognitions_party_number"),
    )  # fmt: skip
    op.create_index("ix_recognitions_certificate_seq", "recognitions", ["certificate_seq"])
    op.create_index("ix_recognitions_party_seq", "recognitions", ["party_id", "seq"])
    op.create_table(
        "recognition_events",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("recognition_seq", SEQ, _fk("recognition_events", "recognition_seq", "recognitions.seq"),
                  nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_recognition_events"),
    )  # fmt: skip
    op.create_index("ix_recognition_events_recognition_seq", "recognition_events", ["recognition_seq", "seq"])
    op.create_table(
        "recognition_markets",
        sa.Column("certificate_seq", SEQ, _fk("recognition_markets", "certificate_seq", "certificates.seq"),
                  nullable=False),
        sa.Column("party_id", sa.String(40), _fk("recognition_markets", "party_id", "issuers.id"), nullable=False),
        sa.Column("market", sa.String(2), nullable=False),
        sa.Column("recognition_seq", SEQ, _fk("recognition_markets", "recognition_seq", "recognitions.seq"),
                  nullable=False),
        sa.PrimaryKeyConstraint("certificate_seq", "party_id", "market", name="pk_recognition_markets"),
    )  # fmt: skip
    op.create_index("ix_recognition_markets_recognition_seq", "recognition_markets", ["recognition_seq"])
    op.create_table(
        "recognition_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("certificate_seq", SEQ, _fk("recognition_requests", "certificate_seq", "certificates.seq"),
                  nullable=False),
        sa.Column("issuer_id", sa.String(40), _fk("recognition_requests", "issuer_id", "issuers.id"), nullable=False),
        sa.Column("party_id", sa.String(40), _fk("recognition_requests", "party_id", "issuers.id"), nullable=False),
        sa.Column("markets", sa.String(120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("asked_by", sa.String(40), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.String(40)),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("reason", sa.Text()),
        sa.Column("recognition_id", sa.String(36)),
        sa.PrimaryKeyConstraint("id", name="pk_recognition_requests"),
    )  # fmt: skip
    op.create_index("ix_recognition_requests_party_state", "recognition_requests", ["party_id", "state", "asked_at"])
    op.create_index("ix_recognition_requests_issuer_asked", "recognition_requests", ["issuer_id", "asked_at"])
    # A partner finds a certificate by its number (and its holder), whoever issued it.
    op.create_index("ix_certificates_number", "certificates", ["number"])
    _append_only()


def _append_only() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY:
        if postgres:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_change()")  # fmt: skip
            continue
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END")  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_certificates_number", "certificates")
    for table in ("recognition_requests", "recognition_markets", "recognition_events", "recognitions"):
        op.drop_table(table)
    for column in ("keys_kept", "revision", "schemes", "markets", "roles", "country"):
        op.drop_column(
            "issuers", column
        )  # SQLite 3.35 drops a column in place (a batch copy would break the keys to it)
