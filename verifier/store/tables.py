"""The tables.

Certificates, status events and the audit log are append-only: rows are inserted and never changed
(the migration adds triggers that refuse UPDATE and DELETE on them). A certificate's status is its
latest status event; its expiry is computed from its dates, never stored.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql import true

from verifier.store.schema import Serial, UTCDateTime, metadata

issuers = Table(
    "issuers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # The letterhead the certificates' paper prints (set by the operator; empty until then).
    Column("address", String(200), nullable=False, server_default=""),
    Column("address_en", String(300), nullable=False, server_default=""),
    Column("contact", String(200), nullable=False, server_default=""),
    Column("accreditation", String(100), nullable=False, server_default=""),
    Column("signatory", String(100), nullable=False, server_default=""),
    Column("signatory_title", String(100), nullable=False, server_default=""),
    Column("signatory_title_en", String(100), nullable=False, server_default=""),
    # A party of the scheme: an issuer, a recognising body, or both (migration 0010).
    Column("country", String(2), nullable=False, server_default="CN"),  # ISO 3166-1 alpha-2
    Column("roles", String(40), nullable=False, server_default="issue"),  # "issue", "recognise", comma-separated
    Column("markets", Text, nullable=False, server_default=""),  # the remit: codes run together ("DEFR")
    Column("schemes", Text, nullable=False, server_default=""),  # the remit: scheme ids, comma-separated
    Column("revision", Integer, nullable=False, server_default="0"),  # raised at every change of roles or remit
    Column("keys_kept", Boolean, nullable=False, server_default=true()),  # False: the party signs elsewhere
)

# An issuer's stamp (a PNG or a checked SVG), drawn in the stamp area of its certificates' paper.
issuer_stamps = Table(
    "issuer_stamps",
    metadata,
    Column("issuer_id", String(40), ForeignKey("issuers.id"), primary_key=True),
    Column("media_type", String(20), nullable=False),
    Column("data", LargeBinary(), nullable=False),
    Column("sha256", LargeBinary(32), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
)

# Public key records; the private halves live in the keys folder, named by kid.
issuer_keys = Table(
    "issuer_keys",
    metadata,
    Column("kid", LargeBinary(8), primary_key=True),
    Column("issuer_id", String(40), ForeignKey("issuers.id"), nullable=False, index=True),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("not_before", UTCDateTime(), nullable=False),
    Column("not_after", UTCDateTime()),
    Column("active", Boolean, nullable=False),
    # Set when the operator withdraws a key as compromised: the published trust list leaves it out.
    Column("withdrawn_at", UTCDateTime()),
)

# Bearer tokens, stored only as SHA-256 of the token text. issuer_id is NULL for operator tokens.
tokens = Table(
    "tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("token_sha256", LargeBinary(32), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("issuer_id", String(40), ForeignKey("issuers.id")),
    Column("label", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("withdrawn_at", UTCDateTime()),
)

certificates = Table(
    "certificates",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("issuer_id", String(40), ForeignKey("issuers.id"), nullable=False),
    Column("number", String(40), nullable=False),
    Column("scheme", String(40), nullable=False),
    Column("credit_code", String(18), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("record", JSON, nullable=False),
    Column("kid", LargeBinary(8), ForeignKey("issuer_keys.kid"), nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("cose", LargeBinary, nullable=False),
    Column("seal_sha256", LargeBinary(32), nullable=False, unique=True),
    Column("qr_text", Text, nullable=False),
    UniqueConstraint("issuer_id", "number", name="uq_certificates_issuer_number"),
    Index("ix_certificates_issuer_seq", "issuer_id", "seq"),
    Index("ix_certificates_issuer_credit_code", "issuer_id", "credit_code"),
    Index("ix_certificates_number", "number"),  # a partner body finds a certificate by number, any issuer's
)

# Each certificate's place in its issuer's Bitstring Status Lists (one index, the same in the revocation
# and the suspension list), drawn at random without reuse: index // LIST_SIZE is the list, the rest the bit.
# Drawn before the certificate is sealed (the seal carries it): a row without a certificate is reserved.
status_entries = Table(
    "status_entries",
    metadata,
    Column("issuer_id", String(40), ForeignKey("issuers.id"), primary_key=True),
    Column("status_index", BigInteger, primary_key=True, autoincrement=False),
    Column(
        "certificate_seq",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("certificates.seq"),
        nullable=True,
        unique=True,
    ),
)

# The bits set: a row per (issuer, purpose, index) whose certificate is revoked, or suspended. Written in
# the same transaction as the status event that sets or clears it.
status_bits = Table(
    "status_bits",
    metadata,
    Column("issuer_id", String(40), ForeignKey("issuers.id"), primary_key=True),
    Column("purpose", String(12), primary_key=True),
    Column("status_index", BigInteger, primary_key=True, autoincrement=False),
)

# When each list last changed (its credential's validFrom, so every replica signs the same bytes).
status_lists = Table(
    "status_lists",
    metadata,
    Column("issuer_id", String(40), ForeignKey("issuers.id"), primary_key=True),
    Column("purpose", String(12), primary_key=True),
    Column("list_number", Integer, primary_key=True, autoincrement=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("changes", BigInteger, nullable=False),  # how many times it changed: its version
)

# The rendered PDF of a certificate, exactly the bytes answered for download, and their SHA-256.
certificate_pdfs = Table(
    "certificate_pdfs",
    metadata,
    Column("certificate_seq", Serial, ForeignKey("certificates.seq"), primary_key=True),
    Column("pdf", LargeBinary, nullable=False),
    Column("sha256", LargeBinary(32), nullable=False),
    Index("ix_certificate_pdfs_sha256", "sha256"),
)

# Each certificate's credential (its UNTP DCC as a VC-JOSE JWT), signed once: at issuance with the key that
# sealed the certificate, or on its first read for one issued before credentials were stored. Served as
# stored, so its bytes (and ETag) never change with a key rotation.
certificate_credentials = Table(
    "certificate_credentials",
    metadata,
    Column("certificate_seq", Serial, ForeignKey("certificates.seq"), primary_key=True, autoincrement=False),
    Column("jwt", Text, nullable=False),
    Column("signed_at", UTCDateTime(), nullable=False),
)

status_events = Table(
    "status_events",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("certificate_seq", Serial, ForeignKey("certificates.seq"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("note", Text, nullable=False),
    Column("actor", String(40), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_status_events_certificate_seq", "certificate_seq", "seq"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(40), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(100), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_log_target", "target", "seq"),  # a certificate's (a person's) entries, on its page
)

# A recognising body's recognition of one certificate (its seal over the SHA-256 of the certificate's seal),
# signed here with a key kept for the body or elsewhere and uploaded. Its status is its latest event.
recognitions = Table(
    "recognitions",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("certificate_seq", Serial, ForeignKey("certificates.seq"), nullable=False),
    Column("party_id", String(40), ForeignKey("issuers.id"), nullable=False),
    Column("number", String(40), nullable=False),  # the body's own number
    Column("markets", String(120), nullable=False),  # codes run together, as the seal has them
    Column("basis", JSON, nullable=False),
    Column("valid_from", Date, nullable=False),  # calendar days, as the seal has them
    Column("valid_until", Date, nullable=False),
    Column("signed_at", UTCDateTime(), nullable=False),
    Column("kid", LargeBinary(8), ForeignKey("issuer_keys.kid"), nullable=False),
    Column("cose", LargeBinary, nullable=False),
    Column("seal_sha256", LargeBinary(32), nullable=False, unique=True),
    Column("status_index", BigInteger),  # in the body's status lists (signed here only)
    Column("request_id", String(36)),
    Column("signed_here", Boolean, nullable=False),  # with a key the service keeps for the body
    Column("actor", String(40), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("party_id", "number", name="uq_recognitions_party_number"),
    Index("ix_recognitions_certificate_seq", "certificate_seq"),
    Index("ix_recognitions_party_seq", "party_id", "seq"),
)

recognition_events = Table(
    "recognition_events",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("recognition_seq", Serial, ForeignKey("recognitions.seq"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("note", Text, nullable=False),
    Column("actor", String(40), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_recognition_events_recognition_seq", "recognition_seq", "seq"),
)

# A body recognises a certificate for a market once while that recognition stands: its row goes when the
# recognition is revoked.
recognition_markets = Table(
    "recognition_markets",
    metadata,
    Column("certificate_seq", Serial, ForeignKey("certificates.seq"), primary_key=True, autoincrement=False),
    Column("party_id", String(40), ForeignKey("issuers.id"), primary_key=True),
    Column("market", String(2), primary_key=True),
    Column("recognition_seq", Serial, ForeignKey("recognitions.seq"), nullable=False, index=True),
)

# An issuer's request that a body recognise one of its certificates for markets, and the body's answer.
recognition_requests = Table(
    "recognition_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("certificate_seq", Serial, ForeignKey("certificates.seq"), nullable=False),
    Column("issuer_id", String(40), ForeignKey("issuers.id"), nullable=False),
    Column("party_id", String(40), ForeignKey("issuers.id"), nullable=False),
    Column("markets", String(120), nullable=False),
    Column("note", Text, nullable=False),
    Column("state", String(12), nullable=False),  # pending, accepted, declined, withdrawn
    Column("asked_by", String(40), nullable=False),
    Column("asked_at", UTCDateTime(), nullable=False),
    Column("answered_by", String(40)),
    Column("answered_at", UTCDateTime()),
    Column("reason", Text),
    Column("recognition_id", String(36)),
    Index("ix_recognition_requests_party_state", "party_id", "state", "asked_at"),
    Index("ix_recognition_requests_issuer_asked", "issuer_id", "asked_at"),
)

APPEND_ONLY = ("certificates", "certificate_pdfs", "status_events", "audit_log", "recognitions", "recognition_events")

# Batch issuance as jobs: the validated request waits here until a runner (in any replica) takes it.
# A runner holds a job by its lease (renewed while it works); a job whose lease ran out is taken
# again. Its certificates are written in the same transaction that marks it succeeded: all or none.
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("issuer_id", String(40), ForeignKey("issuers.id"), nullable=False),
    Column("actor", String(40), nullable=False),  # the token that asked, as the audit log names it
    Column("state", String(12), nullable=False),  # queued, running, succeeded, failed, cancelled
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("request", JSON),  # the certificates, as validated; cleared when the job ends
    Column("failures", JSON),  # [{index, number, error}] of a failed job
    Column("certificate_ids", JSON),  # a succeeded job's certificates, in the request's order
    Column("attempts", Integer, nullable=False),
    Column("cancel_requested", Boolean, nullable=False),
    Column("lease_owner", String(80)),
    Column("lease_until", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Index("ix_jobs_state_created", "state", "created_at"),
    Index("ix_jobs_issuer_created", "issuer_id", "created_at"),
)

# The transparency log (verifier.store.log). Entries get their index in the transaction of the change
# they record (the "sequenced" counter, one row every writer locks); the tree over them is hashed into
# tiles and signed as checkpoints by whichever replica integrates next: the same bytes from any.
log_entries = Table(
    "log_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),
    Column("subject", LargeBinary(32)),  # the SHA-256 of the seal (or recognition seal) it is about
    Column("leaf", LargeBinary, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_log_entries_subject", "subject"),
)
log_state = Table(
    "log_state",
    metadata,
    Column("name", String(20), primary_key=True),  # sequenced, integrated
    Column("size", BigInteger, nullable=False),
    Column("edge", LargeBinary, nullable=False),  # the integrated tree's right edge
)
log_tiles = Table(
    "log_tiles",
    metadata,
    Column("level", Integer, primary_key=True),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hashes", LargeBinary, nullable=False),  # up to 256 hashes; a partial tile grows in place
)
log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),  # signed by the log only; cosignatures are kept beside
    Column("at", UTCDateTime(), nullable=False),
)
log_witnesses = Table(
    "log_witnesses",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("party_id", String(40)),
    Column("added_at", UTCDateTime(), nullable=False),
    Column("withdrawn_at", UTCDateTime()),
)
log_cosignatures = Table(
    "log_cosignatures",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(255), primary_key=True),
    Column("line", Text, nullable=False),
    Column("signed_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Index("ix_log_cosignatures_witness_size", "witness", "size"),  # each witness's newest, without a scan
)
