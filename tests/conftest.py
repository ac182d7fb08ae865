"""Shared fixtures: the reference certificates, a fixed clock, test keys and a trust list."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from tests.postgres import fresh_database, throwaway_cluster
from verifier.api.app import create_app
from verifier.config import Settings
from verifier.demo.samples import dated
from verifier.store.database import normalize_url
from verifier.store.tables import certificates
from verifier.trust.keys import Keyring, SigningKey, new_signing_key
from verifier.trust.trustlist import TrustList, build_trust_list
from verifier.verdict import IssuerInfo

REPO = Path(__file__).resolve().parents[1]
# The reference certificates live in the repository once: the package's demo data (verifier/demo/).
REFERENCE_DIR = REPO / "verifier" / "demo"
PUBLIC_URL = "https://verify.zhejiang-made.example"
SEALED_AT = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
CHECK_AT = datetime(2024, 6, 1, tzinfo=UTC)


def reference_certificates() -> dict[str, dict[str, Any]]:
    """Every reference certificate by file stem."""
    files = sorted(REFERENCE_DIR.glob("*.json"))
    if not files:
        raise RuntimeError(f"no reference certificates in {REFERENCE_DIR}")
    return {f.stem: json.loads(f.read_text("utf-8")) for f in files}


REFERENCE = reference_certificates()
# The reference certificates as a test issues them at the real time: each as it is while in force, and
# dated around today once its validity has ended (an issuance is refused then; the CCC exemption's ended
# in 2024).
_TODAY = datetime.now(UTC).date()
CURRENT = {
    name: data if date.fromisoformat(data["valid_until"]) >= _TODAY else dated(data, _TODAY)
    for name, data in REFERENCE.items()
}


DELETE = object()


def changed(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with the dotted ``path`` set to ``value`` (or removed, for DELETE)."""
    copy = json.loads(json.dumps(data))
    *parents, last = path.split(".")
    target: Any = copy
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return copy


@pytest.fixture(params=sorted(REFERENCE))
def reference(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Each reference certificate in turn (a fresh copy the test may change)."""
    return json.loads(json.dumps(REFERENCE[request.param]))


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
    """One throwaway PostgreSQL server for the whole run."""
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: an SQLite file, or a fresh database on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'verifier.db'}"
    server = request.getfixturevalue("postgres_server")
    return fresh_database(server, f"t{secrets.token_hex(6)}")


@dataclass
class Clock:
    """A clock the test sets; it starts at the real time."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Service:
    """A running app (in process) with its operator token, clock and settings."""

    client: TestClient
    admin: dict[str, str]
    clock: Clock
    settings: Settings

    def issuer(self, issuer_id: str = "zjcert") -> dict[str, str]:
        """Register an issuer; the headers of its first token."""
        answer = self.client.post(
            "/api/v1/issuers", json={"id": issuer_id, "name": f"{issuer_id} 认证", "name_en": f"{issuer_id} Cert"},
            headers=self.admin,
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}


def make_settings(tmp_path: Path, database_url: str, render_pdfs: bool = False) -> Settings:
    """Settings on a temporary folder. PDFs (a quarter second each) only where a test is about them."""
    return Settings(
        public_url=PUBLIC_URL,
        data_dir=tmp_path / "data",
        keys_dir=tmp_path / "keys",
        database_url=database_url,
        admin_token=secrets.token_urlsafe(32),
        render_pdfs=render_pdfs,
        # One test client sends everything from one address: the limits are tested where they are the subject.
        rate_limit=None,
        upload_rate_limit=None,
        auth_failure_limit=None,
    )


@pytest.fixture
def service(tmp_path: Path, database_url: str) -> Iterator[Service]:
    """The service on an empty database of each kind (issuing without PDFs)."""
    yield from _service(make_settings(tmp_path, database_url))


@pytest.fixture
def pdf_service(tmp_path: Path, database_url: str) -> Iterator[Service]:
    """The service on an empty database of each kind, rendering a PDF for every certificate."""
    yield from _service(make_settings(tmp_path, database_url, render_pdfs=True))


def _service(settings: Settings) -> Iterator[Service]:
    clock = Clock()
    # One rate window for the whole test: refusals aggregate the same however slow the machine is.
    with TestClient(create_app(settings, clock, rate_clock=lambda: 0.0)) as client:
        yield Service(client, {"Authorization": f"Bearer {settings.admin_token}"}, clock, settings)


def count_certificates(database_url: str) -> int:
    """How many certificates the database at ``database_url`` holds (read apart from any running service)."""
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(certificates)).scalar_one())
    finally:
        engine.dispose()
