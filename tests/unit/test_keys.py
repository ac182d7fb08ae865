"""Keys: Ed25519 keyrings in PKCS#8 PEM, mode 0600, optional passphrase, kids, rotation windows."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from verifier.errors import KeyStoreError
from verifier.trust.keys import KeyStore, kid_for, load_private_key_pem, private_key_pem, public_raw

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2025, 1, 1, 12, 30, 15, 999, tzinfo=UTC)


def test_create_writes_private_key_0600_and_public_ring(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    ring = store.create("zjcert", T0)
    pem = tmp_path / "zjcert" / f"{ring.active.kid_hex}.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "zjcert").stat().st_mode) == 0o700
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert b"PRIVATE" not in (tmp_path / "zjcert" / "keyring.json").read_bytes()
    key = store.signing_key("zjcert")
    assert key.kid == ring.active.kid == kid_for(key.private_key.public_key())
    assert key.kid == hashlib.sha256(public_raw(key.private_key.public_key())).digest()[:8]


def test_create_refuses_to_replace(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.create("zjcert", T0)
    with pytest.raises(KeyStoreError, match="already has a keyring"):
        store.create("zjcert", T0)


@pytest.mark.parametrize("owner", ["", "ZJCERT", "../etc", "a/b", "-x", "x" * 41])
def test_owner_names_are_slugs(tmp_path: Path, owner: str) -> None:
    with pytest.raises(KeyStoreError, match="not a valid key owner"):
        KeyStore(tmp_path).create(owner, T0)


def test_passphrase_encrypts_and_is_required(tmp_path: Path) -> None:
    KeyStore(tmp_path, b"correct horse").create("zjcert", T0)
    pem = next((tmp_path / "zjcert").glob("*.pem")).read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert KeyStore(tmp_path, b"correct horse").signing_key("zjcert")
    with pytest.raises(KeyStoreError):
        KeyStore(tmp_path, b"wrong").signing_key("zjcert")
    with pytest.raises(KeyStoreError, match="passphrase"):
        KeyStore(tmp_path).signing_key("zjcert")


def test_pem_round_trip_and_garbage() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    assert public_raw(load_private_key_pem(private_key_pem(key)).public_key()) == public_raw(key.public_key())
    with pytest.raises(KeyStoreError):
        load_private_key_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_rotation_keeps_old_key_verify_only(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    first = store.create("zjcert", T0).active
    ring = store.rotate("zjcert", T1)
    old, new = ring.find(first.kid), ring.active
    assert old is not None and new.kid != first.kid
    assert new.not_before == T1.replace(microsecond=0)
    assert old.not_after == new.not_before + timedelta(seconds=1)
    assert old.signs_at(T0) and old.signs_at(T1) and not old.signs_at(T1 + timedelta(seconds=1))
    assert new.signs_at(T1) and not new.signs_at(T0)
    assert store.signing_key("zjcert").kid == new.kid
    assert store.keyring("zjcert") == ring


def test_damaged_keyring_is_refused(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.create("zjcert", T0)
    other = KeyStore(tmp_path / "other").create("other", T0)
    path = tmp_path / "zjcert" / "keyring.json"
    data = json.loads(path.read_text())
    data["keys"][0]["public_key"] = other.to_json()["keys"][0]["public_key"]  # type: ignore[index]
    path.write_text(json.dumps(data))
    with pytest.raises(KeyStoreError, match="does not match"):
        store.keyring("zjcert")
    path.write_text("{not json")
    with pytest.raises(KeyStoreError, match="cannot read"):
        store.keyring("zjcert")


def test_missing_keyring(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="no keyring"):
        KeyStore(tmp_path).signing_key("nobody")


def test_replicas_making_the_same_keyring_at_once_agree_on_one_key(tmp_path: Path) -> None:
    """The log's key is made on first use by whichever replica starts first: one ring, one key, for all."""
    import threading

    from verifier.ledger.log import log_signing_key

    store = KeyStore(tmp_path)
    at, barrier, made = datetime(2026, 1, 1, tzinfo=UTC), threading.Barrier(8), []

    def start() -> None:
        barrier.wait()
        made.append(log_signing_key(store, at).kid)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 8 and len(set(made)) == 1
    assert sorted(p.name for p in (tmp_path / "log").iterdir()) == sorted(["keyring.json", f"{made[0].hex()}.pem"])
