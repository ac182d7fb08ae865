"""Ed25519 keys: generation, PKCS#8 storage, key ids, and per-owner keyrings with validity windows.

A keyring belongs to one owner (an issuer, or the operator). It has at most one *active* key, the one
that signs; retired keys stay in the ring, verify-only, with the window in which they signed.

On disk (:class:`KeyStore`), under the keys folder::

    <owner>/keyring.json        public records: kid, public key, window, which one is active
    <owner>/<kid>.pem           the private key, PKCS#8 PEM, mode 0600, encrypted when a passphrase is set
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verifier.errors import KeyStoreError

KID_LENGTH = 8
OWNER_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")


def kid_for(public_key: Ed25519PublicKey) -> bytes:
    """The key id: the first 8 bytes of SHA-256 over the raw 32-byte public key."""
    return hashlib.sha256(public_raw(public_key)).digest()[:KID_LENGTH]


def public_raw(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_from_raw(raw: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes; raises :class:`KeyStoreError` on any other input."""
    if len(raw) != 32:
        raise KeyStoreError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), as JWK and the trust list write keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    """Inverse of :func:`b64url`; raises ValueError on anything it would not have written."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(data) != text:
        raise ValueError("not canonical base64url")
    return data


def private_key_pem(key: Ed25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    """The private key as PKCS#8 PEM, encrypted with the best available scheme when a passphrase is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_private_key_pem(pem: bytes, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Read a PKCS#8 PEM Ed25519 private key; raises :class:`KeyStoreError` with the reason it cannot."""
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase or None)
    except TypeError as exc:  # encrypted without a passphrase, or a passphrase for a clear key
        raise KeyStoreError(f"private key passphrase mismatch: {exc}") from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyStoreError("not a readable PKCS#8 PEM private key (or a wrong passphrase)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyStoreError("the private key is not an Ed25519 key")
    return key


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key_pem(pem: bytes) -> Ed25519PublicKey:
    """Read an Ed25519 public key PEM; raises :class:`KeyStoreError` when it is not one."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyStoreError("not a readable public key PEM") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyStoreError("the public key is not an Ed25519 key")
    return key


@dataclass(frozen=True)
class KeyRecord:
    """The public half of a key and the window in which it may sign: ``not_before`` ≤ t < ``not_after``."""

    kid: bytes
    public_key: Ed25519PublicKey
    not_before: datetime
    not_after: datetime | None = None
    withdrawn_at: datetime | None = None  # the operator withdrew it (the service's own list keeps it)

    @property
    def kid_hex(self) -> str:
        """The key id as lower-case hex, as the trust list and the API show it."""
        return self.kid.hex()

    def signs_at(self, moment: datetime) -> bool:
        """Whether a signature made at ``moment`` falls inside this key's window."""
        return self.not_before <= moment and (self.not_after is None or moment < self.not_after)


@dataclass(frozen=True)
class SigningKey:
    """A private key with its record: what the seal signs with."""

    private_key: Ed25519PrivateKey
    record: KeyRecord

    @property
    def kid(self) -> bytes:
        """The key id of this key."""
        return self.record.kid


def new_signing_key(not_before: datetime, private_key: Ed25519PrivateKey | None = None) -> SigningKey:
    """A fresh (or the given) Ed25519 key whose window opens at ``not_before`` (whole seconds, UTC)."""
    key = private_key or Ed25519PrivateKey.generate()
    return SigningKey(key, public_record(key.public_key(), not_before))


def public_record(public: Ed25519PublicKey, not_before: datetime) -> KeyRecord:
    """The record of a public key whose window opens at ``not_before`` (a key whose private half is kept elsewhere)."""
    return KeyRecord(kid_for(public), public, whole_second(not_before))


def whole_second(moment: datetime) -> datetime:
    """``moment`` in UTC without its fraction of a second: key windows and seals count whole seconds."""
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Keyring:
    """One owner's keys: every key it ever had, and which one signs now (``active_kid``, None when none)."""

    owner: str
    keys: tuple[KeyRecord, ...]
    active_kid: bytes | None

    def find(self, kid: bytes) -> KeyRecord | None:
        """The record with this key id, or None."""
        return next((k for k in self.keys if k.kid == kid), None)

    @property
    def active(self) -> KeyRecord:
        """The key that signs now; raises :class:`KeyStoreError` when the ring has none."""
        record = self.find(self.active_kid) if self.active_kid else None
        if record is None:
            raise KeyStoreError(f"{self.owner} has no active key")
        return record

    def rotated(self, new: KeyRecord, at: datetime) -> Keyring:
        """A copy of the ring with its active key retired at ``at`` (verify-only from then) and ``new`` active.

        Seals count whole seconds, so the retired key's window runs to the end of the second of ``at``: a
        certificate it sealed a moment before the rotation, in the same second, stays valid.
        """
        end = whole_second(at) + timedelta(seconds=1)
        keys = tuple(replace(k, not_after=end) if k.kid == self.active_kid else k for k in self.keys)
        return Keyring(self.owner, (*keys, new), new.kid)

    def to_json(self) -> dict[str, object]:
        """The public records as JSON (no private material)."""
        return {
            "owner": self.owner,
            "active_kid": self.active_kid.hex() if self.active_kid else None,
            "keys": [
                {
                    "kid": k.kid_hex,
                    "public_key": b64url(public_raw(k.public_key)),
                    "not_before": _iso(k.not_before),
                    "not_after": _iso(k.not_after) if k.not_after else None,
                }
                for k in self.keys
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Keyring:
        """Inverse of :meth:`to_json`; raises :class:`KeyStoreError` on a damaged file."""
        try:
            keys = tuple(
                KeyRecord(
                    bytes.fromhex(k["kid"]),
                    public_from_raw(from_b64url(k["public_key"])),
                    datetime.fromisoformat(k["not_before"]),
                    datetime.fromisoformat(k["not_after"]) if k["not_after"] else None,
                )
                for k in data["keys"]  # type: ignore[attr-defined]
            )
            active = data["active_kid"]
            ring = cls(str(data["owner"]), keys, bytes.fromhex(active) if isinstance(active, str) else None)
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyStoreError(f"damaged keyring: {exc}") from None
        for record in ring.keys:
            if kid_for(record.public_key) != record.kid:
                raise KeyStoreError(f"damaged keyring: kid {record.kid_hex} does not match its public key")
        return ring


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class KeyStore:
    """Keyrings and private keys in a folder (see the module docstring for the layout).

    ``passphrase`` encrypts private keys written from now on and decrypts those read.
    """

    def __init__(self, root: Path, passphrase: bytes | None = None) -> None:
        self.root = root
        self._passphrase = passphrase

    def _dir(self, owner: str) -> Path:
        if not OWNER_PATTERN.fullmatch(owner):
            raise KeyStoreError(f"not a valid key owner name: {owner!r}")
        return self.root / owner

    def exists(self, owner: str) -> bool:
        """Whether ``owner`` has a keyring here."""
        return (self._dir(owner) / "keyring.json").is_file()

    def keyring(self, owner: str) -> Keyring:
        """The owner's keyring; raises :class:`KeyStoreError` when there is none or it is damaged."""
        path = self._dir(owner) / "keyring.json"
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise KeyStoreError(f"no keyring for {owner!r} in {self.root}") from None
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"cannot read {path}: {exc}") from None
        return Keyring.from_json(data)

    def create(self, owner: str, at: datetime, private_key: Ed25519PrivateKey | None = None) -> Keyring:
        """A new keyring for ``owner`` with one fresh active key; refuses to replace an existing ring."""
        if self.exists(owner):
            raise KeyStoreError(f"{owner!r} already has a keyring in {self.root}")
        key = new_signing_key(at, private_key)
        ring = Keyring(owner, (key.record,), key.kid)
        self.save_private(owner, key)
        try:
            self._write_ring(ring, exclusive=True)
        except FileExistsError:  # another process made it first (replicas starting at once): theirs stands
            (self._dir(owner) / f"{key.record.kid_hex}.pem").unlink(missing_ok=True)
            raise KeyStoreError(f"{owner!r} already has a keyring in {self.root}") from None
        return ring

    def rotate(self, owner: str, at: datetime) -> Keyring:
        """Generate a new active key for ``owner``; the old one turns verify-only at ``at``."""
        ring = self.keyring(owner)
        key = new_signing_key(at)
        self.save_private(owner, key)
        rotated = ring.rotated(key.record, at)
        self._write_ring(rotated)
        return rotated

    def signing_key(self, owner: str) -> SigningKey:
        """The owner's active key with its private half; raises :class:`KeyStoreError` when unavailable."""
        return self.private_key(owner, self.keyring(owner).active)

    def private_key(self, owner: str, record: KeyRecord) -> SigningKey:
        """The private half of ``record`` from ``<owner>/<kid>.pem``; raises :class:`KeyStoreError` when unavailable."""
        path = self._dir(owner) / f"{record.kid_hex}.pem"
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise KeyStoreError(f"cannot read the private key {path}: {exc.strerror}") from None
        private = load_private_key_pem(pem, self._passphrase)
        if kid_for(private.public_key()) != record.kid:
            raise KeyStoreError(f"{path} does not hold the key {record.kid_hex}")
        return SigningKey(private, record)

    def save_private(self, owner: str, key: SigningKey) -> None:
        """Write the private half as ``<owner>/<kid>.pem`` (mode 0600); never overwrites a file."""
        folder = self._dir(owner)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{key.record.kid_hex}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(private_key_pem(key.private_key, self._passphrase))

    def _write_ring(self, ring: Keyring, exclusive: bool = False) -> None:
        """Write the ring whole (a file of its own, then renamed); ``exclusive``: only where there is none yet."""
        path = self._dir(ring.owner) / "keyring.json"
        fd, name = tempfile.mkstemp(prefix="keyring.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(ring.to_json(), indent=2) + "\n")
        os.chmod(name, 0o644)  # public keys only (mkstemp makes it 0600); the folder itself is 0700
        try:
            if exclusive:
                os.link(name, path)  # atomic, and refuses an existing file: one creator wins
            else:
                os.replace(name, path)
        finally:
            Path(name).unlink(missing_ok=True)
