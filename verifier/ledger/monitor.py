"""A monitor of the log for one issuer (``verifier monitor``): every certificate its keys sealed, every status change.

An issuer (or anyone on its behalf) follows the log as a witness does — the log's signature, no shrinking,
no fork, every new entry replayed onto the tree it checked last (:func:`~verifier.ledger.witness.advance`)
— and reads each entry that concerns it: an issuance by it or by one of its keys, a status change of one
of its certificates, a key of its added, rotated or withdrawn. Each is matched against the issuer's own
records (:class:`Known`: the seals it issued, the keys it holds); one it cannot match is *flagged*: a
certificate sealed with a stolen key, a status changed by someone else, a key it never asked for. Run
every few seconds, a theft is seen within one checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from verifier.errors import VerifierError
from verifier.ledger.witness import Fetch, WitnessState, advance
from verifier.seal.cose import decode_segment
from verifier.tlog.leaves import Event, digest_of
from verifier.tlog.note import Note
from verifier.tlog.proof import LogPolicy, Witnessed, check_checkpoint

MAX_KNOWN = 10_000_000  # lines of an issuer's export
_LINK = re.compile(r"https?://[^/\s]+/c/(\S+)", re.IGNORECASE)


class KnownRefused(VerifierError):
    """A line of the issuer's export that is neither a certificate's link, a seal's SHA-256 nor a key."""

    code = "monitor_known_refused"


@dataclass
class Known:
    """The issuer's own records: the SHA-256 of every seal it issued, and the ids of its keys."""

    seals: set[bytes] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, lines: Iterable[str]) -> Known:
        """The records an export holds, one a line; raises :class:`KnownRefused` naming a line that is none.

        A line is a certificate's link (its QR text), a seal's SHA-256 (64 hex digits or base64), or
        ``key <16 hex digits>``; blank lines and ``#`` comments are skipped.
        """
        known = cls()
        for number, raw in enumerate(lines, 1):
            if number > MAX_KNOWN:
                raise KnownRefused(f"more than {MAX_KNOWN} lines")
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                known.add(line)
            except (VerifierError, ValueError, binascii.Error):
                raise KnownRefused(
                    f"line {number}: not a certificate's link, a seal's SHA-256 or 'key <kid>'"
                ) from None
        return known

    def add(self, line: str) -> None:
        """One record (raises ValueError, or the seal decoder's error, for a line that is none)."""
        link = _LINK.fullmatch(line)
        if line.startswith("key "):
            kid = line[4:].strip()
            if not re.fullmatch(r"[0-9a-f]{16}", kid):
                raise ValueError(kid)
            self.keys.add(kid)
        elif link:
            self.seals.add(hashlib.sha256(decode_segment(link[1])).digest())
        elif re.fullmatch(r"[0-9a-fA-F]{64}", line):
            self.seals.add(bytes.fromhex(line))
        else:
            digest = base64.b64decode(line, validate=True)
            if len(digest) != 32:
                raise ValueError(line)
            self.seals.add(digest)


@dataclass(frozen=True)
class Sighting:
    """An entry of the log about the issuer: its index, the event, and whether the issuer's records match it."""

    index: int
    event: Event
    matched: bool

    def line(self) -> str:
        """One line for the console: index, kind, time, what it names, and FLAGGED when nothing matches it."""
        e = self.event
        what = {
            "issued": lambda: f"seal {e['seal']} by key {e['key']}",
            "status": lambda: f"seal {e['seal']} {e['state']} ({e['reason']})",
            "key": lambda: f"key {e['key']} {e['event']}",
        }[e.kind]()
        return f"{self.index:>10}  {e.kind:<7} {e['at']}  {what}" + (
            "" if self.matched else "  FLAGGED: not in your records"
        )


def sightings(issuer: str, known: Known) -> tuple[list[Sighting], Callable[[int, Event], None]]:
    """A list to fill, and the callback that fills it with the entries about ``issuer`` as they are replayed."""
    seen: list[Sighting] = []

    def look(index: int, event: Event) -> None:
        if event.kind == "issued" and (event["issuer"] == issuer or event["key"] in known.keys):
            seen.append(Sighting(index, event, digest_of(event["seal"]) in known.seals and event["issuer"] == issuer))
        elif event.kind == "status" and event["issuer"] == issuer:
            seen.append(Sighting(index, event, digest_of(event["seal"]) in known.seals))
        elif event.kind == "key" and event["party"] == issuer:
            seen.append(Sighting(index, event, event["key"] in known.keys))

    return seen, look


def monitor_round(
    state: WitnessState, fetch: Fetch, issuer: str, known: Known, policy: LogPolicy | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[WitnessState, Note, Witnessed | None, list[Sighting]]:  # fmt: skip
    """One round: the new state, the checkpoint, how it was witnessed (with a ``policy``), what concerns ``issuer``.

    Raises :class:`~verifier.ledger.witness.WitnessRefused` for a log that is not the pinned one, shrank,
    forked or whose entries do not replay to its root (a rewritten entry): the alarm a monitor raises.
    """
    seen, look = sightings(issuer, known)
    new, note, _ = advance(state, fetch, progress, look)
    witnessed = check_checkpoint(note, policy) if policy is not None else None
    return new, note, witnessed, seen
