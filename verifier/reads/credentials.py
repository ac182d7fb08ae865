"""The credentials asked for lately, as served: stored bytes and their ETags, bounded in memory.

A credential never changes once stored (:mod:`verifier.issuing.credential`), so what is held here is
never stale; the least recently asked for go first once :data:`BUDGET` bytes are held.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict

from verifier.credentials.check import RegisteredCredential
from verifier.reads.lists import Representations

BUDGET = 32 * 1024 * 1024  # bytes: some 3,000 credentials (each ~5 KB as a JWT, as much again enveloped)


class CredentialCache:
    """Credentials by certificate id, up to ``budget`` bytes."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget = budget
        self.held = 0
        self._entries: OrderedDict[str, Representations] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, certificate_id: str) -> Representations | None:
        """The credential as served, when held (no I/O)."""
        found = self._entries.get(certificate_id)
        if found is not None:
            with contextlib.suppress(KeyError):  # let go by another thread's put meanwhile: still served
                self._entries.move_to_end(certificate_id)
        return found

    def put(self, certificate_id: str, served: Representations) -> None:
        """Hold a credential, letting the least recently asked for go past the budget."""
        if served.size > self.budget:
            return
        with self._lock:
            previous = self._entries.pop(certificate_id, None)
            if previous is not None:
                self.held -= previous.size
            self._entries[certificate_id] = served
            self.held += served.size
            while self.held > self.budget:
                _, gone = self._entries.popitem(last=False)
                self.held -= gone.size


class RegisteredCredentials:
    """The registry's word on the certificates whose credentials were checked lately (never stale: it never changes).

    A customs system sends the same certificates' credentials again and again: each is read once.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: OrderedDict[str, RegisteredCredential] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, certificate_id: str) -> RegisteredCredential | None:
        """The certificate's registered credential, when held (no I/O)."""
        with self._lock:
            found = self._entries.get(certificate_id)
            if found is not None:
                self._entries.move_to_end(certificate_id)
        return found

    def put(self, certificate_id: str, registered: RegisteredCredential) -> None:
        """Hold it, letting the least recently asked for go past ``size``."""
        with self._lock:
            self._entries[certificate_id] = registered
            self._entries.move_to_end(certificate_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
