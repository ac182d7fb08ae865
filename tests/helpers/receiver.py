"""A webhook receiver for the tests: a real HTTPS server on 127.0.0.1 with a CA of its own, told how to answer.

``answers`` is a list the test fills: each request takes the first (status, extra headers, seconds to wait
before answering); when it is empty the receiver answers 200. ``hang`` makes it read the request and
never answer. Every request received is kept in ``received`` (path, headers, body, time).
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1 signed by it: (CA PEM, certificate PEM, key PEM)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test receivers' CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))  # fmt: skip
    paths = folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return paths


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """The receiver's state: what it answers next, what it received, and its URL."""

    port: int = 0
    answers: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hang: bool = False
    down: bool = False  # refuse connections (the server closes each at once, before TLS)
    server: Any = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/hooks/certificates"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver(folder: Path) -> tuple[Receiver, Path]:
    """A receiver serving HTTPS in a thread; and its CA's PEM (for ``VERIFIER_WEBHOOK_CA_FILE``)."""
    ca, cert, key = make_tls(folder)
    state = Receiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(min(length, 1_000_000))
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                                           time.monotonic()))  # fmt: skip
            if state.hang:
                time.sleep(60)
                return
            status, headers, wait = state.answers.pop(0) if state.answers else (200, {}, 0.0)
            time.sleep(wait)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self) -> Any:
            sock, address = self.socket.accept()
            if state.down:
                sock.close()
                raise OSError("down")
            return context.wrap_socket(sock, server_side=True), address

    server = Server(("127.0.0.1", 0), Handler)
    state.server, state.port = server, server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, ca
