"""The customs desk's tables: verification reports, kept for their documented period; watches and their deliveries.

A report is the signed credential the operator gave for one batch of checks (what was checked, when, each
verdict and each certificate's digest), the ids of the certificates it names (for their standing now), and
its PDF once rendered. Nothing of the checker is kept: no address, no account.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from verifier.store.schema import Serial, UTCDateTime, metadata

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

# A watch: anyone's subscription to a certificate's changes, delivered to an https webhook. ``host`` is the
# webhook's (what the number of watches per receiver is counted by); ``token`` ends it (the link in each
# delivery). Ended watches stay a while, for their deliveries' log.
watches = Table(
    "watches",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("certificate_seq", Serial, ForeignKey("certificates.seq"), nullable=False),
    Column("url", Text, nullable=False),
    Column("host", String(253), nullable=False),
    Column("token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Column("ended_why", String(40)),  # unsubscribed, gone (410), failing
    Index("ix_watches_certificate_seq", "certificate_seq"),
    Index("ix_watches_host", "host"),
)

# What is to be told, to whom: a delivery per watch and event, tried until it is taken or given up on.
watch_deliveries = Table(
    "watch_deliveries",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),  # the webhook-id: the same on every attempt
    Column("watch_id", String(24), ForeignKey("watches.id"), nullable=False),
    Column("event", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("state", String(12), nullable=False),  # pending, delivered, failed, dropped (the watch ended)
    Column("attempts", Integer, nullable=False),
    Column("next_at", UTCDateTime(), nullable=False),
    Column("leased_until", UTCDateTime()),  # a replica sending it now
    Column("done_at", UTCDateTime()),
    Index("ix_watch_deliveries_due", "state", "next_at"),
    Index("ix_watch_deliveries_watch", "watch_id", "seq"),
)

# Each attempt of a delivery: when, how long, what the receiver answered (or why nothing was sent).
watch_attempts = Table(
    "watch_attempts",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("delivery_seq", Serial, ForeignKey("watch_deliveries.seq"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("ms", Integer, nullable=False),
    Column("status", Integer),  # the HTTP status, when one came
    Column("outcome", String(200), nullable=False),
    Index("ix_watch_attempts_delivery", "delivery_seq", "seq"),
)

# How far the events have been read into deliveries: the newest status event and recognition event seen.
watch_cursors = Table(
    "watch_cursors",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)
