"""C2SP signed notes, checkpoints and cosignatures (signed-note, tlog-checkpoint, tlog-cosignature), Ed25519 only.

A checkpoint is a note whose text is the log's origin, its size and its root hash (base64), one per line; the
log signs the text (signature type 0x01) and witnesses cosign it (type 0x04: a timestamp, then an
Ed25519 signature over ``cosignature/v1``, ``time <t>`` and the text). A key is named and identified by the
first four bytes of SHA-256(name, newline, type, public key); a verifier key (*vkey*) writes the three as
``<name>+<id hex>+<base64(type || key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verifier.errors import VerifierError
from verifier.tlog.merkle import HASH_SIZE, MAX_TREE_SIZE

ED25519 = 0x01
COSIGNATURE = 0x04
MAX_NOTE_BYTES = 8192  # a checkpoint with a few dozen cosignatures; refuse anything larger unread
MAX_SIGNATURES = 64
MAX_NAME = 255
_NAME = re.compile(r"[!-*,-~]{1,255}")  # printable ASCII without space or plus
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


class NoteRefused(VerifierError):
    """A note, checkpoint, cosignature or key that is not well formed, or whose signature does not verify."""

    code = "log_note_refused"


def key_id(name: str, kind: int, public: bytes) -> bytes:
    """A note key's 4-byte id: SHA-256(name || 0x0A || kind || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def b64(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 section 4), as notes write every binary value."""
    return base64.b64encode(data).decode("ascii")


def from_b64(text: str, what: str) -> bytes:
    """Inverse of :func:`b64`, strict: raises :class:`NoteRefused` naming ``what`` on anything else."""
    if not _B64.fullmatch(text):
        raise NoteRefused(f"{what} is not base64")
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise NoteRefused(f"{what} is not base64") from None
    if b64(data) != text:
        raise NoteRefused(f"{what} is not written as base64 writes it")
    return data


def _public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class NoteKey:
    """A named Ed25519 key of a note's kind: the log's (0x01) or a witness's (0x04)."""

    name: str
    kind: int
    public: bytes

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise NoteRefused("a key name is 1 to 255 printable characters without spaces or '+'")
        if self.kind not in (ED25519, COSIGNATURE) or len(self.public) != 32:
            raise NoteRefused("a note key here is an Ed25519 key (type 0x01 or 0x04)")

    @property
    def id(self) -> bytes:
        """The key's 4-byte id."""
        return key_id(self.name, self.kind, self.public)

    @property
    def verifier(self) -> Ed25519PublicKey:
        """The public key, ready to verify."""
        return Ed25519PublicKey.from_public_bytes(self.public)

    def vkey(self) -> str:
        """The verifier key text: ``<name>+<id hex>+<base64(kind || key)>``."""
        return f"{self.name}+{self.id.hex()}+{b64(bytes([self.kind]) + self.public)}"

    @classmethod
    def of(cls, name: str, kind: int, key: Ed25519PublicKey | Ed25519PrivateKey) -> NoteKey:
        """The note key named ``name`` for an Ed25519 key (its public half when given the private)."""
        public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
        return cls(name, kind, _public_raw(public))


def parse_vkey(text: str) -> NoteKey:
    """A verifier key from its text; raises :class:`NoteRefused` when it is not one, or its id does not match."""
    parts = text.strip().split("+", 2)  # the base64 key may hold "+" itself
    if len(text) > 512 or len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise NoteRefused("a verifier key is <name>+<8 hex digits>+<base64 key>")
    raw = from_b64(parts[2], "the verifier key")
    if len(raw) != 33:
        raise NoteRefused("a verifier key here holds an Ed25519 key")
    key = NoteKey(parts[0], raw[0], raw[1:])
    if key.id.hex() != parts[1]:
        raise NoteRefused("the verifier key's id does not match its name and key")
    return key


@dataclass(frozen=True)
class Signature:
    """One signature line of a note: the key's name, its 4-byte id, and the signature's bytes."""

    name: str
    id: bytes
    value: bytes

    def line(self) -> str:
        """The line as a note writes it (without its newline)."""
        return f"\u2014 {self.name} {b64(self.id + self.value)}"


@dataclass(frozen=True)
class Note:
    """A signed note as read: its text (ending in a newline) and its signature lines, in order."""

    text: str
    signatures: tuple[Signature, ...]

    def to_text(self) -> str:
        """The note as written: text, a blank line, a line per signature."""
        return self.text + "\n" + "".join(s.line() + "\n" for s in self.signatures)

    def signed_by(self, key: NoteKey) -> list[Signature]:
        """The signatures whose name and id are ``key``'s (a verifier checks these and ignores the rest)."""
        return [s for s in self.signatures if s.name == key.name and s.id == key.id]


def bounded_text(data: bytes | str, limit: int, what: str, refused: type[VerifierError]) -> str:
    """``data`` as text, refused (``refused``, naming ``what``) past ``limit`` bytes or when it is not UTF-8."""
    if len(data) > limit:
        raise refused(f"{what} here is at most {limit} bytes")
    try:
        return data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise refused(f"{what} is UTF-8 text") from None


def parse_note(data: bytes | str) -> Note:
    """A note from its bytes; raises :class:`NoteRefused` for anything signed-note does not allow.

    Bounded: at most :data:`MAX_NOTE_BYTES` and :data:`MAX_SIGNATURES` signatures.
    """
    text = bounded_text(data, MAX_NOTE_BYTES, "a note", NoteRefused)
    if re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text):
        raise NoteRefused("a note has no control characters but newlines")
    split = text.rfind("\n\n")
    if split < 0 or not text.endswith("\n"):
        raise NoteRefused("a note is text, a blank line, then signature lines, each ending in a newline")
    body, lines = text[: split + 1], text[split + 2 :].split("\n")[:-1]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteRefused(f"a note has 1 to {MAX_SIGNATURES} signatures")
    return Note(body, tuple(parse_signature(line) for line in lines))


def parse_signature(line: str) -> Signature:
    """One signature line (without its newline); raises :class:`NoteRefused` when it is not one."""
    match = re.fullmatch("\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)", line)
    if not match or not _NAME.fullmatch(match[1]):
        raise NoteRefused("a signature line is an em dash, a key name and a base64 signature")
    raw = from_b64(match[2], "a note signature")
    if len(raw) < 5:
        raise NoteRefused("a note signature is a key id and a signature")
    return Signature(match[1], raw[:4], raw[4:])


def sign_note(text: str, name: str, key: Ed25519PrivateKey) -> Signature:
    """The log's Ed25519 signature (type 0x01) of a note's text by ``key`` under ``name``."""
    return Signature(name, NoteKey.of(name, ED25519, key).id, key.sign(text.encode()))


def verify_note(note: Note, key: NoteKey) -> None:
    """Check that ``key`` (type 0x01) signed the note; raises :class:`NoteRefused` when it did not, or a line fails."""
    found = note.signed_by(key)
    if not found:
        raise NoteRefused(f"the note is not signed by {key.name}")
    for signature in found:
        if not _holds(key.public, signature.value, note.text.encode()):
            raise NoteRefused(f"{key.name}'s signature on the note does not verify")


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head, as its note text says: origin, size and root hash."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The note text (three lines, each ending in a newline)."""
        return f"{self.origin}\n{self.size}\n{b64(self.root)}\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """The checkpoint a note's text states; raises :class:`NoteRefused` unless it is exactly three lines."""
        lines = text.split("\n")
        if len(lines) != 4 or lines[3] != "":
            raise NoteRefused("a checkpoint here is three lines: origin, size, root hash (no extension lines)")
        origin, size, root = lines[:3]
        if not _NAME.fullmatch(origin):
            raise NoteRefused("a checkpoint's origin is printable, without spaces or '+'")
        if not _SIZE.fullmatch(size) or int(size) > MAX_TREE_SIZE:
            raise NoteRefused("a checkpoint's size is a decimal number without leading zeros")
        hashed = from_b64(root, "the checkpoint's root hash")
        if len(hashed) != HASH_SIZE:
            raise NoteRefused("a checkpoint's root hash is 32 bytes")
        return cls(origin, int(size), hashed)


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What a witness signs for a checkpoint's text at ``timestamp`` (POSIX seconds)."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosign(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> Signature:
    """A witness's cosignature (type 0x04) of a checkpoint's text at ``timestamp``."""
    if not 0 <= timestamp < 2**63:
        raise NoteRefused("a cosignature's time is a POSIX time")
    value = timestamp.to_bytes(8, "big") + key.sign(cosigned_message(text, timestamp))
    return Signature(name, NoteKey.of(name, COSIGNATURE, key).id, value)


def verify_cosignature(text: str, signature: Signature, key: NoteKey) -> int:
    """Check a witness's cosignature of a checkpoint's text; returns its timestamp.

    Raises :class:`NoteRefused` when the line is not ``key``'s or does not verify.
    """
    if key.kind != COSIGNATURE or signature.name != key.name or signature.id != key.id:
        raise NoteRefused(f"the cosignature is not {key.name}'s")
    if len(signature.value) != 8 + 64:
        raise NoteRefused("an Ed25519 cosignature is a timestamp and a 64-byte signature")
    timestamp = int.from_bytes(signature.value[:8], "big")
    if timestamp >= 2**63:
        raise NoteRefused("a cosignature's time is a POSIX time")
    if not _holds(key.public, signature.value[8:], cosigned_message(text, timestamp)):
        raise NoteRefused(f"{key.name}'s cosignature does not verify")
    return timestamp


@lru_cache(maxsize=4096)
def _holds(public: bytes, signature: bytes, message: bytes) -> bool:
    """Whether the Ed25519 ``signature`` by ``public`` holds over ``message``.

    Every proof against one checkpoint carries the same note: each signature is verified once, not once a proof.
    """
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
