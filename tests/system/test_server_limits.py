"""The HTTP server as an attacker meets it: slow or oversized heads, chunked bodies, forged proxy headers.

Each case runs against a real ``verifier serve`` (uvicorn with the guarded protocol), since these
limits live below the app, on both databases.
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.server import Server


def serve(tmp_path: Path, sqlite_url: str, **env: str) -> Server:
    tmp_path.mkdir(parents=True, exist_ok=True)
    server = Server(
        tmp_path,
        {"VERIFIER_DATABASE_URL": sqlite_url, "VERIFIER_ADMIN_TOKEN": secrets.token_urlsafe(32), **env},
    )
    server.start()
    return server


@pytest.fixture
def server(tmp_path: Path, sqlite_url: str) -> Iterator[Server]:
    running = serve(tmp_path, sqlite_url, VERIFIER_HEADER_TIMEOUT="1.5", VERIFIER_RATE_LIMIT="0")
    yield running
    running.stop()


def raw(server: Server, data: bytes, wait: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection; everything answered until the server closes it (or ``wait``)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except TimeoutError:
            pass
    return out


def test_too_many_headers_is_431(server: Server) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(100)) + b"\r\n"
    assert raw(server, head).startswith(b"HTTP/1.1 431 ")


def test_oversized_header_is_431(server: Server) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n"
    assert raw(server, head).startswith(b"HTTP/1.1 431 ")
    long_path = b"GET /api/v1/certificates/" + b"a" * 60_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert raw(server, long_path).startswith(b"HTTP/1.1 431 ")


def test_a_head_that_never_ends_is_cut_off(server: Server) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        for _ in range(20):  # a slow-loris client: one header a little later each time
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
            time.sleep(0.2)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 5
    assert httpx.get(f"{server.url}/healthz").status_code == 200  # and everyone else is served


def test_an_idle_connection_is_closed(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        started = time.monotonic()
        assert sock.recv(100).startswith(b"HTTP/1.1 408 ")  # nothing sent at all
        assert time.monotonic() - started < 5


def test_chunked_bodies_past_the_limit_are_413(server: Server) -> None:
    def chunks(head: bytes, tail: bytes) -> Iterator[bytes]:  # no length: httpx sends it chunked
        yield head
        for _ in range(700):
            yield b"A" * 10_000
        yield tail

    part = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    )
    for path, headers, head, tail in (
        ("/api/v1/verify", {"Content-Type": "application/json"}, b'{"qr": "', b'"}'),
        ("/api/v1/verify/pdf", {"Content-Type": "multipart/form-data; boundary=x"}, part + b"%PDF-", b"\r\n--x--\r\n"),
    ):
        answer = httpx.post(f"{server.url}{path}", content=chunks(head, tail), headers=headers, timeout=30)
        assert answer.status_code == 413, (path, answer.text)
        assert answer.json()["error"] == "too_large"
    declared = b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    declared += b"Content-Length: 1000000000\r\n\r\n"
    assert raw(server, declared + b"{").startswith(b"HTTP/1.1 413 ")  # refused by its length, before the body


def test_pipelined_requests_each_get_their_limits(server: Server) -> None:
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = raw(server, one * 3 + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 ") == 4


def test_forwarded_headers_are_ignored_unless_the_proxy_is_named(tmp_path: Path, sqlite_url: str) -> None:
    plain = serve(tmp_path / "a", sqlite_url, VERIFIER_RATE_LIMIT="3/60")
    try:
        statuses = [
            httpx.post(f"{plain.url}/api/v1/verify", json={"qr": "x"}, headers={"X-Forwarded-For": f"10.0.0.{i}"})
            for i in range(5)
        ]
        assert [s.status_code for s in statuses] == [200, 200, 200, 429, 429]  # one client, whatever it claims
    finally:
        plain.stop()
    proxied = serve(tmp_path / "b", sqlite_url, VERIFIER_RATE_LIMIT="3/60", VERIFIER_FORWARDED_ALLOW_IPS="127.0.0.1")
    try:
        statuses = [
            httpx.post(f"{proxied.url}/api/v1/verify", json={"qr": "x"}, headers={"X-Forwarded-For": f"10.0.0.{i}"})
            for i in range(5)
        ]
        assert [s.status_code for s in statuses] == [200] * 5  # each client the named proxy speaks for
    finally:
        proxied.stop()


def test_past_the_concurrency_limit_is_503(tmp_path: Path, sqlite_url: str) -> None:
    server = serve(tmp_path, sqlite_url, VERIFIER_MAX_CONCURRENCY="3")
    held = []
    try:
        for _ in range(2):  # two connections open (kept alive after one request each)
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            held.append(sock)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
        answer = httpx.get(f"{server.url}/healthz")  # the third: the limit counts it with them
        assert answer.status_code == 503
    finally:
        for sock in held:
            sock.close()
        server.stop()
