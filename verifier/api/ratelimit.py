"""Per-client rate limits on the public endpoints: a fixed window of N requests per client.

A refused request answers 429 with ``Retry-After`` (whole seconds to the next window). The counts of
only the current window are kept, so memory is bounded by the clients of one window. The clock is
injected (monotonic seconds), so tests move time by hand.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
PUBLIC_PREFIXES = (
    "/c/",
    "/C/",
    "/r/",
    "/R/",
    "/api/v1/verify",
    "/check",
    "/api/v1/trust-list",
    "/metrics",
    "/log/",
    "/api/v1/watches",
    "/watches/",
    "/issuers/",
)
UPLOAD_PREFIXES = ("/api/v1/verify/pdf", "/check/pdf")


class RateLimiter:
    """At most ``limit`` requests per client in each ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._window_index = -1
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, client: str, cost: int) -> float | None:
        """Charge ``cost`` to ``client`` when its window has room for all of it (None); else the seconds to wait.

        A charge refused takes nothing: a batch too large now may be sent smaller at once.
        """
        return self._count(client, cost, refused_counts=False)

    def check(self, client: str) -> float | None:
        """None when ``client`` may go on; else the seconds until it may try again (a refusal counts too)."""
        return self._count(client, 1, refused_counts=True)

    def _count(self, client: str, cost: int, refused_counts: bool) -> float | None:
        now = self.clock()
        index = int(now // self.window)
        with self._lock:
            if index != self._window_index:
                self._window_index = index
                self._counts = {}
            count = self._counts.get(client, 0) + cost
            if count <= self.limit or refused_counts:
                self._counts[client] = count
        if count <= self.limit:
            return None
        return (index + 1) * self.window - now


class RateLimit:
    """ASGI middleware applying :class:`RateLimiter` rules: each to the paths under its prefixes.

    The service has two: every public check and the trust list, and (besides) the uploads.
    """

    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        rules: Sequence[tuple[tuple[str, ...], RateLimiter]],
        refused: Callable[[], None] = lambda: None,
    ) -> None:
        self.app = app
        self.rules = rules
        self.refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse with 429 past the limit; otherwise pass the request on."""
        if scope["type"] == "http":
            path = scope["path"]
            for prefixes, limiter in self.rules:
                if path.startswith(prefixes):
                    wait = limiter.check(client_of(scope))
                    if wait is not None:
                        self.refused()
                        await _refuse(send, math.ceil(wait))
                        return
        await self.app(scope, receive, send)


def client_of(scope: Scope) -> str:
    """The address a request's limits are counted under (a trusted proxy's client, see ``server_options``)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _refuse(send: Send, retry_after: int) -> None:
    body = (
        b'{"error":"rate_limited","message":"too many requests from this client; try again in '
        + str(retry_after).encode()
        + b' seconds","fields":[]}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(retry_after).encode()),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
