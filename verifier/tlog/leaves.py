"""The log's entries: one event per leaf, as short text lines, strictly read (spec docs/spec/log.md, section 3).

A leaf is a header ``verifier-log/v1 <kind>`` and one ``<field> <value>`` line per field of its kind, in the
order :data:`KINDS` gives, each ending in a newline. It names parties, keys and the SHA-256 of what was
signed (a seal's COSE bytes, a credential, a recognition seal) and never a certificate's content: the log
shows nothing a QR code does not. The same bytes are the entry in the tiles' bundles and what is hashed.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from verifier.errors import VerifierError

HEADER = "verifier-log/v1"
MAX_LEAF = 1024  # every kind is far shorter; a bundle's entries are bounded before they are read

_PARTY = r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?"
_DIGEST = r"[A-Za-z0-9+/]{43}="
VALUES = {
    "at": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",
    "issuer": _PARTY,
    "body": _PARTY,
    "party": _PARTY,
    "key": r"[0-9a-f]{16}",
    "public": _DIGEST,
    "seal": _DIGEST,
    "credential": _DIGEST + "|-",  # "-": issued without a stored credential
    "recognition": _DIGEST,
    "content": _DIGEST,
    "state": r"active|suspended|revoked",
    "reason": r"[a-z_]{1,40}|-",
    "event": r"added|rotated|withdrawn",
    "version": r"0|[1-9][0-9]{0,17}",
}

_FORMS = {name: re.compile(form) for name, form in VALUES.items()}

# Each kind of event and its fields, in order.
KINDS: dict[str, tuple[str, ...]] = {
    "issued": ("at", "issuer", "key", "seal", "credential"),
    "status": ("at", "issuer", "seal", "state", "reason"),
    "recognised": ("at", "body", "key", "recognition", "seal"),
    "recognition-status": ("at", "body", "recognition", "state", "reason"),
    "key": ("at", "party", "event", "key", "public"),
    "trust-list": ("at", "version", "content"),
}


class LeafRefused(VerifierError):
    """Bytes that are not a leaf of this log (the message says which line)."""

    code = "log_leaf_refused"


def digest_text(digest: bytes) -> str:
    """A SHA-256 digest as a leaf writes it (base64, padded)."""
    if len(digest) != 32:
        raise LeafRefused("a digest in the log is a SHA-256")
    return base64.b64encode(digest).decode("ascii")


def digest_of(text: str) -> bytes:
    """Inverse of :func:`digest_text`."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise LeafRefused("not a digest") from None


@lru_cache(maxsize=64)  # a batch's events share their moment
def time_text(at: datetime) -> str:
    """A moment as a leaf writes it: UTC, whole seconds, ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Event:
    """One event of the log: its kind and its fields' values (as text, in the kind's order)."""

    kind: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        names = KINDS.get(self.kind)
        if names is None:
            raise LeafRefused(f"no event of kind {self.kind!r}")
        if len(self.values) != len(names):
            raise LeafRefused(f"a {self.kind} event has the fields {', '.join(names)}")
        for name, value in zip(names, self.values, strict=True):
            if not _FORMS[name].fullmatch(value):
                raise LeafRefused(f"a {self.kind} event's {name} is not one")
        try:
            self.at  # noqa: B018 (a date the pattern allows may still not exist)
        except ValueError:
            raise LeafRefused(f"a {self.kind} event's time is not a date") from None

    def __getitem__(self, name: str) -> str:
        return self.values[KINDS[self.kind].index(name)]

    def get(self, name: str) -> str | None:
        """The field's value, or None when this kind has no such field."""
        return self[name] if name in KINDS[self.kind] else None

    @property
    def at(self) -> datetime:
        """When the event happened."""
        return datetime.fromisoformat(self["at"][:-1]).replace(tzinfo=UTC)  # the form is checked: ...:SSZ

    def to_bytes(self) -> bytes:
        """The leaf."""
        lines = [f"{HEADER} {self.kind}", *(f"{n} {v}" for n, v in zip(KINDS[self.kind], self.values, strict=True))]
        return ("\n".join(lines) + "\n").encode("ascii")

    @classmethod
    def make(cls, kind: str, **values: str) -> Event:
        """An event from its fields by name (every field of the kind, nothing else)."""
        names = KINDS.get(kind, ())
        if set(values) != set(names):
            raise LeafRefused(f"a {kind} event has the fields {', '.join(names)}")
        return cls(kind, tuple(values[n] for n in names))


def read_leaf(leaf: bytes) -> Event:
    """The event a leaf holds; raises :class:`LeafRefused` for anything :meth:`Event.to_bytes` would not write."""
    if len(leaf) > MAX_LEAF:
        raise LeafRefused(f"a leaf is at most {MAX_LEAF} bytes")
    try:
        text = leaf.decode("ascii")
    except UnicodeDecodeError:
        raise LeafRefused("a leaf is ASCII") from None
    if not text.endswith("\n"):
        raise LeafRefused("a leaf's lines end in a newline")
    lines = text[:-1].split("\n")
    head, _, kind = lines[0].partition(" ")
    if head != HEADER:
        raise LeafRefused(f"a leaf starts with {HEADER!r}")
    names = KINDS.get(kind)
    if names is None:
        raise LeafRefused(f"no event of kind {kind!r}")
    if len(lines) != len(names) + 1:
        raise LeafRefused(f"a {kind} event has the fields {', '.join(names)}")
    values = []
    for name, line in zip(names, lines[1:], strict=True):
        field, _, value = line.partition(" ")
        if field != name:
            raise LeafRefused(f"a {kind} event's field here is {name}, not {field[:20]!r}")
        values.append(value)
    event = Event(kind, tuple(values))
    if event.to_bytes() != leaf:
        raise LeafRefused("the leaf is not written as the log writes it")
    return event
