"""Every issuer's status lists, encoded and signed, held in memory and rebuilt only when they change.

One task per replica reads the lists' versions (one small table, a row per list) every
:data:`POLL_SECONDS` and rebuilds the lists that changed, or whose issuer's key did, off the event loop;
a request only reads a dictionary. A status change made by another replica shows here within the poll
interval; one made here is seen at once (:meth:`StatusBoard.refresh` after it commits). When the
database does not answer, the lists last built go on being served (they are signed, and dated).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from verifier.certificate.status import LIST_SIZE, STATUS_PURPOSES
from verifier.credentials.vcjose import enveloped_bytes
from verifier.issuing.publish import status_list_jwt
from verifier.store.registry import Registry
from verifier.trust.keys import SigningKey

POLL_SECONDS = 0.1
log = logging.getLogger("verifier.reads")
ListKey = tuple[str, str, int]  # (issuer, purpose, list number)


def etag(body: bytes) -> str:
    """A strong entity tag: the body's SHA-256 (128 bits of it), quoted."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


@dataclass(frozen=True)
class Representations:
    """A signed document as served: the JWT and the enveloped JSON, each with its strong ETag."""

    jwt: bytes
    enveloped: bytes
    jwt_etag: str
    enveloped_etag: str

    @classmethod
    def of(cls, jwt: str) -> Representations:
        """Both representations of ``jwt``, made once."""
        bare, wrapped = jwt.encode("ascii"), enveloped_bytes(jwt)
        return cls(bare, wrapped, etag(bare), etag(wrapped))

    @property
    def size(self) -> int:
        """Bytes held (what a bounded cache counts)."""
        return len(self.jwt) + len(self.enveloped) + 200


@dataclass(frozen=True)
class PublishedList:
    """One list as served, and the version it was built from: (changed at, changes, signing key)."""

    version: tuple[datetime, int, bytes]
    served: Representations


class StatusBoard:
    """The lists of every issuer, signed by its active key (``key_for``), for the service at ``public_url``."""

    def __init__(self, registry: Registry, public_url: str, key_for: Callable[[str], SigningKey]) -> None:
        self.registry = registry
        self.public_url = public_url
        self.key_for = key_for
        self._lists: dict[ListKey, PublishedList] = {}
        self._changes: dict[ListKey, int] = {}
        self._lock = threading.Lock()
        self.refreshed_at = 0.0  # monotonic; 0 before the first refresh
        self._failing = False

    def refresh(self) -> None:
        """Read the versions; rebuild each list that changed (blocking: a thread's work, never the loop's)."""
        with self._lock:
            versions = self.registry.statuslists.versions()
            lists: dict[ListKey, PublishedList] = {}
            for key, (changed_at, changes) in versions.items():
                signer = self.key_for(key[0])
                version = (changed_at, changes, signer.kid)
                current = self._lists.get(key)
                lists[key] = current if current is not None and current.version == version else self._build(
                    key, changed_at, signer, version)  # fmt: skip
            self._lists = lists  # one store each: a request sees the old dictionaries or the new ones
            self._changes = {key: changes for key, (_, changes) in versions.items()}
            self.refreshed_at = time.monotonic()

    def _build(
        self, key: ListKey, changed_at: datetime, signer: SigningKey, version: tuple[datetime, int, bytes]
    ) -> PublishedList:
        issuer_id, purpose, number = key
        bits = self.registry.statuslists.bits(issuer_id, purpose, number)
        jwt = status_list_jwt(self.public_url, issuer_id, purpose, number, bits, changed_at, signer)
        return PublishedList(version, Representations.of(jwt))

    def get(self, issuer_id: str, purpose: str, number: int) -> Representations | None:
        """The list as served, or None when the issuer has no such list."""
        found = self._lists.get((issuer_id, purpose, number))
        return found.served if found is not None else None

    def published(self) -> list[tuple[str, int]]:
        """Every (issuer, list number) there is, in order."""
        return sorted({(issuer, number) for issuer, _, number in self._lists})

    def versions(self) -> dict[ListKey, int]:
        """How many times each list has changed, as of the last refresh (never changed afterwards: replaced)."""
        return self._changes

    def version_of(
        self, issuer_id: str, status_index: int, changes: dict[ListKey, int] | None = None
    ) -> tuple[int | None, ...]:
        """How many times each list holding ``status_index`` has changed (None: no such list yet).

        Now, or as of ``changes`` (what :meth:`versions` answered earlier).
        """
        changes = self._changes if changes is None else changes
        number = status_index // LIST_SIZE
        return tuple(changes.get((issuer_id, purpose, number)) for purpose in STATUS_PURPOSES)

    async def run(self, stop: asyncio.Event, interval: float = POLL_SECONDS) -> None:
        """Refresh every ``interval`` seconds until ``stop`` is set (a refresh under way is let finish).

        A database that fails is logged once, then tried again at the next interval.
        """
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.refresh)
                if self._failing:
                    log.warning("the status lists are read again")
                self._failing = False
            except Exception:  # the lists built last stay served; the next poll tries again
                if not self._failing:
                    log.exception("cannot read the status lists' versions; serving the ones built last")
                self._failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
