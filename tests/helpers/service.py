"""The service in process, as the service tests drive it: an app on a temporary folder with its clock."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from tests.helpers.certificates import PUBLIC_URL
from verifier.config import Settings
from verifier.server.app import create_app
from verifier.store.database import normalize_url
from verifier.store.tables import audit_log, certificates


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
        batch_rate_limit=None,
        report_rate_limit=None,
    )


def running_service(settings: Settings) -> Iterator[Service]:
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


def audit_rows(service: Service, like: str = "%") -> list[dict[str, object]]:
    """The audit log's rows whose action is ``like`` the pattern (SQL LIKE), oldest first, read apart from the app."""
    engine = create_engine(normalize_url(service.settings.database))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(audit_log).where(audit_log.c.action.like(like)).order_by(audit_log.c.seq))
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def register_issuer(
    post: Callable[..., Any], admin_token: str, base: str = "", issuer_id: str = "zjcert"
) -> dict[str, str]:
    """Register an issuer through the API with the operator's token; the headers of the issuer's first token.

    ``post`` is a client's (a TestClient's, an ``httpx.Client`` with its base URL) or ``httpx.post`` with
    the server's URL as ``base``.
    """
    made = post(f"{base}/api/v1/issuers", json={"id": issuer_id, "name": "浙江", "name_en": "ZJ"},
                headers={"Authorization": f"Bearer {admin_token}"})  # fmt: skip
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}
