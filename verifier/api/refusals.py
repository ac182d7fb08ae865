"""Refused authentications: audited without letting a flood fill the disk, and limited per client.

A request with a missing, unknown or wrong-role token is audited; a stranger can send thousands a
second. So refusals are counted per client, action and fixed window (``limit`` = N per SECONDS): the
first refusal of a client in a window is written at once, the rest of that window as one more row with
their count when the window has passed (on the next refusal, or when the service stops). Past N in a
window the client's requests to the authenticated API are refused outright (429, ``Retry-After``)
before any token is looked at. An audit write that fails is logged; it never turns a 401 or 403 into
a 500. Memory is bounded: the counts of one window, for at most ``MAX_CLIENTS`` clients.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from verifier.logs import redact
from verifier.store.registry import Registry

MAX_CLIENTS = 10_000
OTHERS = "(other clients)"
log = logging.getLogger("verifier.auth")


@dataclass
class _Count:
    actor: str
    target: str
    first_at: datetime
    count: int = 1


class RefusalLog:
    """Counts and audits refused authentications per client (see the module's docstring)."""

    def __init__(
        self,
        registry: Registry,
        limit: tuple[int, float] | None,
        wall_clock: Callable[[], datetime],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.limit, self.window = limit if limit else (0, 60.0)
        self.wall_clock = wall_clock
        self.clock = clock
        self._window_index = -1
        self._window_start: datetime | None = None
        self._counts: dict[tuple[str, str], _Count] = {}
        self._per_client: dict[str, int] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> int | None:
        """Seconds ``client`` must wait before its tokens are looked at again, or None."""
        if not self.limit:
            return None
        self._roll()
        if self._per_client.get(client, 0) < self.limit:
            return None
        now = self.clock()
        return max(1, math.ceil((int(now // self.window) + 1) * self.window - now))

    def refused(self, client: str, actor: str, action: str, target: str) -> None:
        """Record one refusal: audited at once when it is the client's first of the window, else counted."""
        self._roll()
        at = self.wall_clock()
        with self._lock:
            if client not in self._per_client and len(self._per_client) >= MAX_CLIENTS:
                client = OTHERS
            self._per_client[client] = self._per_client.get(client, 0) + 1
            entry = self._counts.get((client, action))
            if entry is None:
                self._counts[(client, action)] = _Count(actor, target, at)
            else:
                entry.count += 1
                return
        self._write(actor, action, target, at, {"client": client, "count": 1})

    def flush(self) -> None:
        """Write the counts of the window now (the service is stopping)."""
        with self._lock:
            counts, self._counts = self._counts, {}
            self._per_client = {}
            start = self._window_start
        self._write_counts(counts, start)

    def _roll(self) -> None:
        index = int(self.clock() // self.window)
        if index == self._window_index:
            return
        with self._lock:
            if index == self._window_index:
                return
            counts, self._counts = self._counts, {}
            self._per_client = {}
            start, self._window_start = self._window_start, self.wall_clock()
            self._window_index = index
        self._write_counts(counts, start)

    def _write_counts(self, counts: dict[tuple[str, str], _Count], start: datetime | None) -> None:
        for (client, action), entry in counts.items():
            if entry.count > 1:
                detail = {"client": client, "count": entry.count - 1, "repeated": True}
                if start is not None:
                    detail["window_start"] = start.isoformat()
                self._write(entry.actor, action, entry.target, self.wall_clock(), detail)

    def _write(self, actor: str, action: str, target: str, at: datetime, detail: dict[str, Any]) -> None:
        try:
            self.registry.audit.record(actor, action, redact(target), at, detail)
        except Exception:
            log.exception("could not audit a refused request", extra={"fields": {"action": action}})
