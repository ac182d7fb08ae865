"""Shared fixtures: the demo certificates, test keys and a trust list, databases, the service in process.

The suite is arranged by what a test costs (the README, under "The two commands"): ``unit/`` (no
database, no process), ``service/`` (the app in process, on SQLite), ``store/`` (the SQL, on SQLite
and PostgreSQL) and ``system/`` (real servers, subprocesses, Chromium, Node, PostgreSQL clusters).
Each folder's tests carry its marker; ``make check`` runs the unit and service tests, the edit loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.certificates import DEMO, PUBLIC_URL
from tests.helpers.databases import migrated_postgres, migrated_sqlite, postgres_copy, sqlite_copy
from tests.helpers.postgres import throwaway_cluster
from tests.helpers.service import Service, make_settings, running_service
from verifier.trust.keys import Keyring, SigningKey, new_signing_key
from verifier.trust.trustlist import TrustList, build_trust_list
from verifier.verdict import IssuerInfo

TIERS = ("unit", "service", "store", "system")
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries the marker of the folder it is in; a test outside the four folders is an error."""
    for item in items:
        tier = Path(item.path).resolve().relative_to(_HERE).parts[0]
        if tier not in TIERS:
            raise pytest.UsageError(f"{item.nodeid}: a test belongs in one of tests/{{{','.join(TIERS)}}}/")
        item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(params=sorted(DEMO))
def demo_certificate(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Each demo certificate in turn (a fresh copy the test may change)."""
    return json.loads(json.dumps(DEMO[request.param]))


@pytest.fixture(scope="session")
def issuer_key() -> SigningKey:
    return new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="session")
def operator_key() -> SigningKey:
    return new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="session")
def trust_list(issuer_key: SigningKey) -> TrustList:
    ring = Keyring("zjcert", (issuer_key.record,), issuer_key.kid)
    info = IssuerInfo("zjcert", "浙江省产品认证中心", "Zhejiang Product Certification Centre")
    return build_trust_list([(info, ring)], [PUBLIC_URL], datetime(2024, 5, 1, tzinfo=UTC))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway PostgreSQL server for the whole run (for each xdist worker)."""
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated once for the run, that each test copies."""
    return migrated_sqlite(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    """A PostgreSQL database migrated once for the run, that each test copies."""
    return migrated_postgres(postgres_server)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database of the test's own."""
    return sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
def postgres_url(postgres_server: str, postgres_template: str) -> str:
    """A migrated PostgreSQL database of the test's own, on the run's server."""
    return postgres_copy(postgres_server, postgres_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of each kind in turn: what the store's SQL is tested on."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))


@pytest.fixture
def service_database(sqlite_url: str) -> str:
    """The database the service's tests run on: SQLite (``tests/store/`` runs some again on PostgreSQL)."""
    return sqlite_url


@pytest.fixture
def service(tmp_path: Path, service_database: str) -> Iterator[Service]:
    """The service in process (issuing without PDFs)."""
    yield from running_service(make_settings(tmp_path, service_database))


@pytest.fixture
def pdf_service(tmp_path: Path, service_database: str) -> Iterator[Service]:
    """The service in process, rendering a PDF for every certificate."""
    yield from running_service(make_settings(tmp_path, service_database, render_pdfs=True))
