"""The console's tables: user accounts, their roles and sign-in state, their sessions; the search terms.

An account is an issuer's or the operator's. A password is kept only as an Argon2id hash, an invitation
and a session only as their SHA-256. A certificate's search terms are what the console searches by that
the certificate's own columns do not hold: its holder's names, its HS codes and its markets.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from verifier.store.schema import Serial, UTCDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),  # lower case: the sign-in name
    Column("name", String(100), nullable=False),
    Column("issuer_id", String(40), ForeignKey("issuers.id")),  # None: the operator's staff
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200)),  # None until the invitation is taken
    Column("invitation_sha256", LargeBinary(32), unique=True),
    Column("invited_until", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("failed_sign_ins", Integer, nullable=False, server_default="0"),  # since the last that succeeded
    Column("locked_until", UTCDateTime()),
    Column("disabled_at", UTCDateTime()),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_sha256", LargeBinary(32), primary_key=True),
    Column("user_id", String(16), ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),  # the form token of this session
    Column("created_at", UTCDateTime(), nullable=False),
    Column("seen_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),  # signed out, or ended by an admin
    Index("ix_sessions_user_id", "user_id"),
)

# Written with the certificate, in its transaction: the holder's names and credit code in lower case, one
# to a line; the HS codes and the markets each between spaces (" 8516.79 8516.80 ", " DE FR "), so a
# LIKE '% DE %' finds a whole code.
certificate_terms = Table(
    "certificate_terms",
    metadata,
    Column("certificate_seq", Serial, ForeignKey("certificates.seq"), primary_key=True, autoincrement=False),
    Column("issuer_id", String(40), nullable=False),
    Column("holder", Text, nullable=False),
    Column("hs_codes", Text, nullable=False),
    Column("markets", Text, nullable=False),
    Index("ix_certificate_terms_issuer_id", "issuer_id", "certificate_seq"),
)

# An import of existing certificates: the file as uploaded (kept, for its dry run to be read again, its
# rows queued and a failed import started again; an issuer's oldest dry runs never started are let go),
# the mapping it was read with, what its dry run found, its jobs.
imports = Table(
    "imports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("issuer_id", String(40), ForeignKey("issuers.id"), nullable=False),
    Column("actor", String(40), nullable=False),
    Column("name", String(200), nullable=False),  # the file's name, as uploaded
    Column("sha256", LargeBinary(32), nullable=False),
    Column("file", LargeBinary),
    Column("mapping", JSON, nullable=False),
    Column("state", String(12), nullable=False),  # checked, running, succeeded, failed
    Column("summary", JSON, nullable=False),  # the dry run's counts
    Column("job_ids", JSON),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime()),
    Index("ix_imports_issuer_created", "issuer_id", "created_at"),
)

# A mapping saved by an issuer's clerk, by name.
import_mappings = Table(
    "import_mappings",
    metadata,
    Column("issuer_id", String(40), ForeignKey("issuers.id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("mapping", JSON, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# What an imported certificate was before it came here: its import, its row, its original date of issue
# and status (written in the transaction that registers it).
certificate_imports = Table(
    "certificate_imports",
    metadata,
    Column("certificate_seq", Serial, ForeignKey("certificates.seq"), primary_key=True, autoincrement=False),
    Column("import_id", String(36), nullable=False),
    Column("row", Integer, nullable=False),
    Column("issued_on", Date),
    Column("original_status", String(12), nullable=False),
)
