"""The store's tier: what touches SQL, on both databases.

Tests written for the store take ``database_url`` (SQLite, then PostgreSQL). The service tests whose
subject is the registry's SQL (listing and paging, status changes and the status lists' bits, jobs
claimed and leased, tokens, issuers and keys, the audit log) run in ``tests/service/`` on SQLite; the
modules here import them again with their database on PostgreSQL, so each of them
runs on both databases and no other test pays for a PostgreSQL database.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def service_database(postgres_url: str) -> str:
    """The service's tests imported here run on a migrated PostgreSQL database."""
    return postgres_url
