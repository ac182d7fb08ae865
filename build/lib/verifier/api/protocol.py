"""The HTTP/1.1 connection, guarded: a request's head must arrive soon and small, or the connection closes.

uvicorn's httptools protocol bounds neither how long a client may take to send a request's headers
(a slow-loris client holds a connection for ever, one byte at a time) nor how many or how large they
are. :class:`GuardedHttpTools` adds both, per request: the head (request line and headers) within
``VERIFIER_HEADER_TIMEOUT`` seconds (default 10) of its first byte (or of the connection), at most
``MAX_HEADERS`` headers and ``MAX_HEAD_BYTES`` bytes. Past a limit it answers 431 (too large) or
408 (too slow) and closes. The rest (body limits, concurrency, keep-alive) is uvicorn's and the
app's; see :func:`server_options`.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from verifier.config import Settings, load_settings

MAX_HEADERS = 64
MAX_HEAD_BYTES = 16 * 1024
CONCURRENCY = 1000
KEEP_ALIVE = 5
PROTOCOL = "verifier.api.protocol:GuardedHttpTools"


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline, a count and a size limit on every request's head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._head_size = 0
        self._head_count = 0
        self._in_head = True
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's head."""
        super().connection_made(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the head's clock."""
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser, then refuse a head that has grown past its size without ending."""
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._refuse(431, "request headers too large")

    def on_message_begin(self) -> None:
        """A new request on the connection: its head gets its own clock and limits."""
        super().on_message_begin()
        if not self._in_head:
            self._start_head()

    def on_url(self, url: bytes) -> None:
        """Count the request line's bytes."""
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count the headers and their bytes; past a limit the request is refused when its head ends."""
        self._head_count += 1
        self._head_size += len(name) + len(value)
        if self._head_count <= MAX_HEADERS:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """The head is in: refuse it when over a limit, else hand the request to the app."""
        self._in_head = False
        self._stop_timer()
        if self.transport.is_closing():
            return
        if self._head_count > MAX_HEADERS:
            self._refuse(431, "too many request headers")
            return
        if self._head_size > MAX_HEAD_BYTES:
            self._refuse(431, "request headers too large")
            return
        super().on_headers_complete()

    def _start_head(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        self._head_size = 0
        self._head_count = 0
        self._stop_timer()
        self._head_timer = self.loop.call_later(_header_timeout(), self._too_slow)

    def _stop_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self._refuse(408, "request headers not received in time")

    def _refuse(self, status: int, message: str) -> None:
        body = f'{{"error":"bad_request","message":"{message}","fields":[]}}'.encode()
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
            % (status, reason, len(body))
            + body
        )
        self.transport.close()


@cache
def _header_timeout() -> float:
    """The head's deadline: ``VERIFIER_HEADER_TIMEOUT`` (uvicorn makes the protocol, so it is read here)."""
    return load_settings().header_timeout


def server_options(settings: Settings) -> dict[str, Any]:
    """Uvicorn's settings for the public face: guarded heads, a concurrency limit, no untrusted proxies.

    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from the addresses in
    ``VERIFIER_FORWARDED_ALLOW_IPS``; without it they are ignored, so no client can pick the address its
    rate limits are counted under.
    """
    proxies = settings.forwarded_allow_ips
    return {
        "http": PROTOCOL,
        "limit_concurrency": settings.max_concurrency,
        "timeout_keep_alive": KEEP_ALIVE,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
        "server_header": False,
        "access_log": False,
    }
