"""The registry's word on seals scanned before, from memory: a known seal's verdict without a round trip.

A seal the registry issued is looked up once (off the event loop) and remembered with the versions of
the two status lists that hold its certificate; a later scan takes it from here as long as those lists
have not changed since (:class:`~verifier.reads.lists.StatusBoard` learns of every change within its
poll interval), and looks again otherwise. The versions are read before the database is: a change
that lands between the two makes one lookup too many, never a stale verdict kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from verifier.reads.lists import StatusBoard
from verifier.store.seals import Seals
from verifier.verdict import RegistryEntry


class NeedLookup(Exception):  # not an error: the caller's cue to look the seal up off the loop
    """The seal is not known here (or its lists changed since): it must be looked up in the database."""

    def __init__(self, cose: bytes) -> None:
        super().__init__("look the seal up")
        self.cose = cose


@dataclass(frozen=True)
class _Known:
    entry: RegistryEntry
    issuer_id: str
    status_index: int
    versions: tuple[int | None, ...]


class KnownSeals:
    """Up to ``size`` seals the registry issued, by their exact bytes (least recently scanned out first)."""

    def __init__(self, board: StatusBoard, size: int = 10_000) -> None:
        self.board = board
        self.size = size
        self._entries: OrderedDict[bytes, _Known] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, cose: bytes) -> RegistryEntry | None:
        """The entry of a seal known here and current (no I/O: the event loop's); raises :class:`NeedLookup`."""
        if not self._current(cose):
            raise NeedLookup(cose)
        return self._entries[cose].entry

    def fetch(self, seals: Seals, cose: bytes) -> RegistryEntry | None:
        """Ask the database what it knows of ``cose`` and remember it (blocking: for a worker thread)."""
        before = self.board.versions()  # before the database: see the module's note
        placed = seals.placed(cose)
        if placed is None:
            return None  # not issued here: nothing to remember (a forged seal never gets this far)
        entry, issuer_id, status_index = placed
        if status_index is not None and self.size:
            versions = self.board.version_of(issuer_id, status_index, before)
            self._remember(cose, _Known(entry, issuer_id, status_index, versions))
        return entry

    def prefetch(self, seals: Seals, coses: list[bytes]) -> None:
        """Look many seals up at once (a batch's) and remember those the registry issued (blocking)."""
        wanted = [cose for cose in dict.fromkeys(coses) if not self._current(cose)]
        if not wanted or not self.size:
            return
        before = self.board.versions()  # before the database: see the module's note
        for cose, (entry, issuer_id, status_index) in seals.placed_many(wanted).items():
            if status_index is not None:
                versions = self.board.version_of(issuer_id, status_index, before)
                self._remember(cose, _Known(entry, issuer_id, status_index, versions))

    def _current(self, cose: bytes) -> bool:
        found = self._entries.get(cose)
        return found is not None and self.board.version_of(found.issuer_id, found.status_index) == found.versions

    def _remember(self, cose: bytes, known: _Known) -> None:
        with self._lock:
            self._entries[cose] = known
            self._entries.move_to_end(cose)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
