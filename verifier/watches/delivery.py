"""One webhook delivery over HTTPS, safe against server-side request forgery.

A POST that can only reach the public internet (or the networks the operator allows), within its time,
its bytes and its redirects.

A subscriber names the URL, so every byte of it is hostile: the target must be ``https`` with a host name
or address and no credentials; every address its name resolves to must be public (no loopback, private,
link-local, shared, multicast, reserved or unspecified address, an IPv4 one inside IPv6 included) unless it
lies in a network the operator allows (``VERIFIER_WEBHOOK_ALLOW``). The connection is made to the address
that was checked — never by resolving the name again, so a name that answers 127.0.0.1 on its second
lookup reaches nothing — with the name kept for TLS (SNI and the certificate's check) and the Host header.
A redirect is followed only when it keeps the method (307, 308), at most :data:`MAX_REDIRECTS` times, each
target checked as the first was; the answer's head is read up to :data:`MAX_HEAD` bytes and its body up to
:data:`MAX_BODY`, all within :data:`DEADLINE` seconds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

MAX_URL = 2048
MAX_REDIRECTS = 3
MAX_HEAD = 16 * 1024
MAX_BODY = 64 * 1024
CONNECT_TIMEOUT = 5.0
DEADLINE = 15.0  # seconds for one attempt, redirects included
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefused(ValueError):
    """A webhook URL (or a redirect's) that may not be reached: not https, or an address not on the internet."""


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: its host name, port and the path with its query."""

    url: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class Sent:
    """What an attempt came to: the status (None when no answer came), the time it took, and in words."""

    status: int | None
    ms: int
    outcome: str

    @property
    def delivered(self) -> bool:
        """The receiver took it (2xx)."""
        return self.status is not None and 200 <= self.status < 300


def parse_allowed(text: str) -> tuple[Network, ...]:
    """Networks given as comma-separated CIDRs (``VERIFIER_WEBHOOK_ALLOW``); raises ValueError for a bad one."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def check_url(url: str) -> Target:
    """The URL as a target, or :class:`TargetRefused`: https, a host, no user or password, a path, a sane length."""
    if len(url) > MAX_URL:
        raise TargetRefused(f"a webhook URL is at most {MAX_URL} characters")
    if any(c in url for c in "\r\n\t ") or not url.isprintable():
        raise TargetRefused("a webhook URL has no spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise TargetRefused("not a URL") from None
    if parts.scheme.lower() != "https":
        raise TargetRefused("a webhook must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("a webhook URL carries no user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("a webhook URL names a host")
    try:
        host.encode("idna")
    except UnicodeError:
        raise TargetRefused("the webhook's host is not a valid name") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url, host, port, path)


def forbidden(address: str, allowed: Sequence[Network] = ()) -> str | None:
    """Why ``address`` may not be reached (in words), or None when it may: public, or in an allowed network."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip in network for network in allowed):
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return forbidden(str(ip.ipv4_mapped), allowed)
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (a cloud's metadata service among them)"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED):
        return "a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "an address not on the public internet"
    return None


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


async def resolve(target: Target, allowed: Sequence[Network], timeout: float = CONNECT_TIMEOUT) -> str:
    """The address to connect to: every address the host has must be allowed (one that is not refuses all)."""
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(
            loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP), timeout
        )
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise TargetRefused(f"{target.host} does not resolve ({type(exc).__name__})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise TargetRefused(f"{target.host} has no address")
    for address in addresses:
        why = forbidden(address, allowed)
        if why is not None:
            raise TargetRefused(f"{target.host} resolves to {why}: not delivered there")
    return addresses[0]


async def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    allowed: Sequence[Network] = (),
    tls: ssl.SSLContext | None = None,
    deadline: float = DEADLINE,
) -> Sent:
    """POST ``body`` to ``url`` as this module's rules allow; never raises for what the receiver does."""
    started = time.monotonic()

    def sent(status: int | None, outcome: str) -> Sent:
        return Sent(status, int((time.monotonic() - started) * 1000), outcome)

    context = tls or ssl.create_default_context()
    try:
        async with asyncio.timeout(deadline):
            for _ in range(MAX_REDIRECTS + 1):
                target = check_url(url)
                address = await resolve(target, allowed)
                status, location = await _exchange(target, address, body, headers, context)
                if status in (307, 308) and location:
                    url = urljoin(target.url, location)
                    continue
                if 300 <= status < 400:
                    return sent(status, f"redirected with {status}: only 307 and 308 are followed")
                return sent(status, f"answered {status}")
            return sent(None, f"more than {MAX_REDIRECTS} redirects")
    except TargetRefused as refused:
        return sent(None, f"refused: {refused}")
    except TimeoutError:
        return sent(None, f"no answer within {deadline:g} s")
    except ssl.SSLError as exc:
        return sent(None, f"TLS failed: {exc.reason or type(exc).__name__}")
    except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        return sent(None, f"connection failed: {type(exc).__name__}")


async def _exchange(
    target: Target, address: str, body: bytes, headers: dict[str, str], context: ssl.SSLContext
) -> tuple[int, str | None]:
    """One request on a connection to ``address`` (TLS for the target's name): the status and any Location."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(address, target.port, ssl=context, server_hostname=target.host, limit=MAX_HEAD),
        CONNECT_TIMEOUT,
    )
    try:
        host = target.host if target.port == 443 else f"{target.host}:{target.port}"
        lines = [f"POST {target.path} HTTP/1.1", f"Host: {host}", "Connection: close",
                 "Content-Type: application/json", f"Content-Length: {len(body)}",
                 *(f"{name}: {value}" for name, value in headers.items())]  # fmt: skip
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")  # LimitOverrunError past MAX_HEAD
        status_line, *fields = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not (parts[1].isdigit() and len(parts[1]) == 3):
            raise ValueError("not an HTTP/1.x answer")
        location = next((f.split(":", 1)[1].strip() for f in fields if f.lower().startswith("location:")), None)
        await reader.read(MAX_BODY)  # read a little of the body, then hang up: nothing in it is needed
        return int(parts[1]), location
    finally:
        writer.transport.abort()  # at once: a receiver that never closes its side holds nothing here
