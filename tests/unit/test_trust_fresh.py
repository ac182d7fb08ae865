"""Trust lists that must not be used: expired, too old, replayed; and the published one, cached (both databases)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import DEMO, PUBLIC_URL
from tests.helpers.cli import Ran, run_cli
from verifier.certificate.model import parse_certificate
from verifier.errors import TrustListError
from verifier.issuing.recipe import seal_certificate
from verifier.trust.keys import Keyring, SigningKey, public_key_pem
from verifier.trust.trustlist import TrustList, TrustListStale, build_trust_list, check_current
from verifier.verdict import IssuerInfo

INFO = IssuerInfo("zjcert", "浙江省产品认证中心", "Zhejiang Product Certification Centre")
ISSUED = datetime(2026, 11, 1, tzinfo=UTC)


def listed(issuer_key: SigningKey, version: int, issued_at: datetime = ISSUED, days: int = 30) -> TrustList:
    ring = Keyring("zjcert", (issuer_key.record,), issuer_key.kid)
    return build_trust_list([(INFO, ring)], [PUBLIC_URL], issued_at, version, timedelta(days=days))


CASES = {
    "fresh": (ISSUED + timedelta(days=1), None, None),
    "expired": (ISSUED + timedelta(days=30), None, "expired"),
    "older than the age limit": (ISSUED + timedelta(days=8), None, "8 days old"),
    "a check of a moment before the list was issued": (ISSUED - timedelta(days=90), None, None),
    "the same version again": (ISSUED + timedelta(days=1), 5, None),
    "an older version than seen": (ISSUED + timedelta(days=1), 6, "older than version 6"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_current(name: str, issuer_key: SigningKey) -> None:
    at, seen, refused = CASES[name]
    trust_list = listed(issuer_key, 5)
    if refused is None:
        check_current(trust_list, at, highest_seen=seen)
    else:
        with pytest.raises(TrustListStale, match=refused):
            check_current(trust_list, at, highest_seen=seen)


def test_expiry_and_version_are_signed(issuer_key: SigningKey, operator_key: SigningKey) -> None:
    trust_list = listed(issuer_key, 7)
    document = json.loads(trust_list.to_document(operator_key))
    assert document["trust_list"]["version"] == 7
    assert document["trust_list"]["expires_at"] == "2026-12-01T00:00:00Z"
    document["trust_list"]["expires_at"] = "2036-12-01T00:00:00Z"
    with pytest.raises(TrustListError, match="does not verify"):
        TrustList.from_document(json.dumps(document).encode(), [operator_key.record.public_key])
    document["trust_list"]["format"] = 1
    with pytest.raises(TrustListError, match="format 1"):
        TrustList.from_document(json.dumps(document).encode(), [operator_key.record.public_key])


def run(tmp_path: Path, *args: str) -> Ran:
    return run_cli(*args, cwd=tmp_path)


def test_offline_checker_refuses_expired_old_and_replayed_lists(
    tmp_path: Path, issuer_key: SigningKey, operator_key: SigningKey
) -> None:
    data = {**DEMO["zhejiang-made-kettle"], "number": "ZJ-2026-1", "valid_until": "2027-03-25"}
    qr = seal_certificate(parse_certificate(data), issuer_key, PUBLIC_URL, ISSUED - timedelta(days=1)).qr_text
    (tmp_path / "operator.pem").write_bytes(public_key_pem(operator_key.record.public_key))
    for version in (4, 5):
        (tmp_path / f"v{version}.json").write_bytes(listed(issuer_key, version).to_document(operator_key))
    pinned = ["--operator-key", "operator.pem"]

    def check(trust: str, at: timedelta, *more: str) -> Ran:
        when = (ISSUED + at).isoformat()
        return run(tmp_path, "verify", qr, "--trust-list", trust, *pinned, "--at", when, *more)

    assert check("v5.json", timedelta(days=1)).returncode == 0
    expired = check("v5.json", timedelta(days=31), "--max-age", "60")
    assert (expired.returncode, expired.stdout) == (3, "")
    assert "expired at 2026-12-01T00:00:00Z" in expired.stderr
    old = check("v5.json", timedelta(days=8))
    assert old.returncode == 3
    assert "8 days old, more than the 7 days allowed" in old.stderr
    assert check("v5.json", timedelta(days=8), "--max-age", "9").returncode == 0
    # --state remembers the highest version accepted; an older list replayed afterwards is refused.
    assert check("v4.json", timedelta(days=1), "--state", "seen.json").returncode == 0
    assert check("v5.json", timedelta(days=1), "--state", "seen.json").returncode == 0
    assert json.loads((tmp_path / "seen.json").read_text())["trust_list_version"] == 5
    replayed = check("v4.json", timedelta(days=1), "--state", "seen.json")
    assert replayed.returncode == 3
    assert "version 4, older than version 5 seen before" in replayed.stderr
    (tmp_path / "bad.json").write_text("{")
    broken = check("v5.json", timedelta(days=1), "--state", "bad.json")
    assert broken.returncode == 2
    assert "not a state file" in broken.stderr
    assert "Traceback" not in broken.stderr + replayed.stderr + old.stderr
