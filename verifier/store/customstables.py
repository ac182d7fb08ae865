"""The customs desk's tables: verification reports, kept for their documented period.

A report is the signed credential the operator gave for one batch of checks (what was checked, when, each
verdict and each certificate's digest), the ids of the certificates it names (for their standing now), and
its PDF once rendered. Nothing of the checker is kept: no address, no account.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, String, Table, Text

from verifier.store.schema import UTCDateTime, metadata

reports = Table(
    "reports",
    metadata,
    Column("id", String(32), primary_key=True),  # what /r/{id} names: random, unguessable
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),  # let go after it (VERIFIER_REPORT_DAYS)
    Column("items", Integer, nullable=False),
    Column("jwt", Text, nullable=False),  # the report's credential, signed by the operator's key
    Column("certificate_ids", JSON, nullable=False),  # per item: the registered certificate's id, or null
    Column("pdf", LargeBinary),  # rendered on the first download
    Index("ix_reports_expires_at", "expires_at"),
)
