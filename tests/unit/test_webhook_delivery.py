"""The webhook client's rules against server-side request forgery, without a network: which URLs and addresses
may be reached, that the address connected to is the one checked (a name that answers 127.0.0.1 on its next
lookup reaches nothing), and the back-off between attempts.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Any

import pytest

from verifier.watches import delivery
from verifier.watches.delivery import TargetRefused, check_url, forbidden, parse_allowed, post
from verifier.watches.dispatch import LONGEST_WAIT, MAX_ATTEMPTS, retry_after


@pytest.mark.parametrize(
    ("address", "why"),
    [("127.0.0.1", "loopback"), ("127.8.8.8", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
     ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
     ("172.16.0.1", "private"), ("fd00::1", "private"), ("100.64.0.1", "private"), ("0.0.0.0", "private"),
     ("224.0.0.1", "not on the public"), ("240.0.0.1", "private"), ("192.0.2.1", "private"),
     ("8.8.8.8", None), ("2001:4860:4860::8888", None), ("::ffff:8.8.8.8", None)],
)  # fmt: skip
def test_which_addresses_may_be_reached(address: str, why: str | None) -> None:
    found = forbidden(address)
    assert (found is None) if why is None else (found is not None and why in found), found


def test_networks_the_operator_allows() -> None:
    allowed = parse_allowed("10.0.0.0/8, 127.0.0.1/32")
    assert forbidden("10.9.9.9", allowed) is None and forbidden("127.0.0.1", allowed) is None
    assert forbidden("127.0.0.2", allowed) is not None and forbidden("169.254.169.254", allowed) is not None
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/33"):
        parse_allowed("10.0.0.0/33")


@pytest.mark.parametrize(
    "url",
    ["http://example.org/", "ftp://example.org/", "https://u:p@example.org/", "https:///path", "https://ex ample.org/",
     "https://example.org/\r\nX: y", "https://example.org:99999/", "https://" + "a" * 2100, "javascript:alert(1)",
     "https://exa\x00mple.org/"],
)  # fmt: skip
def test_urls_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_url(url)


def test_a_url_taken() -> None:
    target = check_url("https://ERP.example.org:8443/hooks?x=1")
    assert (target.host, target.port, target.path) == ("erp.example.org", 8443, "/hooks?x=1")


def test_the_address_connected_to_is_the_one_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the first lookup public, the next loopback. The connection goes to the first, by address,
    with the name kept for TLS; a second delivery, whose lookup answers loopback, is refused before connecting."""
    answers = [["93.184.216.34"], ["127.0.0.1"]]
    connected: list[tuple[str, int, str | None]] = []

    async def getaddrinfo(self: Any, host: str, port: int, **_: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers.pop(0)]

    async def open_connection(host: str, port: int, ssl: Any = None, server_hostname: str | None = None,
                              **_: Any) -> Any:  # fmt: skip
        connected.append((host, port, server_hostname))
        raise ConnectionRefusedError("not in this test")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(delivery.asyncio, "open_connection", open_connection)
    first = asyncio.run(post("https://rebind.example/hook", b"{}", {}))
    assert connected == [("93.184.216.34", 443, "rebind.example")]
    assert first.status is None and "connection failed" in first.outcome
    second = asyncio.run(post("https://rebind.example/hook", b"{}", {}))
    assert "loopback" in second.outcome and len(connected) == 1  # refused before any connection


def test_one_forbidden_address_among_many_refuses_all(monkeypatch: pytest.MonkeyPatch) -> None:
    async def getaddrinfo(self: Any, host: str, port: int, **_: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("93.184.216.34", "10.0.0.1")]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)
    sent = asyncio.run(post("https://mixed.example/hook", b"{}", {}, tls=ssl.create_default_context()))
    assert "private" in sent.outcome and sent.status is None


def test_the_back_off() -> None:
    waits = [retry_after(n, spread=0) for n in range(1, MAX_ATTEMPTS)]
    assert waits[:4] == [5, 10, 20, 40] and max(waits) == LONGEST_WAIT
    assert 20 * 3600 < sum(waits) < 30 * 3600  # about a day of trying
    assert all(4.5 <= retry_after(1) <= 5.5 for _ in range(50))
