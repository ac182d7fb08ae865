"""Shared fixtures: the reference certificates, a fixed clock, test keys and a trust list."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from verifier.keys import Keyring, SigningKey, new_signing_key
from verifier.trust import TrustList, build_trust_list
from verifier.verdict import IssuerInfo

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(os.environ.get("VERIFIER_REFERENCE_DIR", REPO.parent / "shared" / "reference" / "certificates"))
PUBLIC_URL = "https://verify.zhejiang-made.example"
SEALED_AT = datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
CHECK_AT = datetime(2024, 6, 1, tzinfo=UTC)


def reference_certificates() -> dict[str, dict[str, Any]]:
    """Every reference certificate by file stem; fails loudly when shared/ is not beside the repository."""
    files = sorted(REFERENCE_DIR.glob("*.json"))
    if not files:
        raise RuntimeError(f"no reference certificates in {REFERENCE_DIR}: set VERIFIER_REFERENCE_DIR")
    return {f.stem: json.loads(f.read_text("utf-8")) for f in files}


REFERENCE = reference_certificates()


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
