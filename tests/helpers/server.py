"""The service as a real process: ``verifier serve`` on a free loopback port, for tests that need one."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``verifier serve`` with the given environment; start, wait until healthy, kill."""

    def __init__(self, home: Path, env: dict[str, str], args: list[str] | None = None) -> None:
        self.home = home
        self.args = args or []
        self.port = free_port()
        # Tests come from one address at full speed: no rate limits unless the test sets them.
        unlimited = {"VERIFIER_RATE_LIMIT": "0", "VERIFIER_UPLOAD_RATE_LIMIT": "0", "VERIFIER_AUTH_FAILURE_LIMIT": "0"}
        self.env = {**os.environ, "VERIFIER_PUBLIC_URL": f"http://127.0.0.1:{self.port}", **unlimited, **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        """Start and wait for ``/healthz``."""
        with (self.home / "server.log").open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [sys.executable, "-m", "verifier", "serve", "--port", str(self.port), *self.args],
                cwd=self.home, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.home / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """A normal shutdown."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def serving(home: Path, env: dict[str, str] | None = None, timeout: float = 30.0) -> tuple[Server, str]:
    """``verifier serve`` with its data and keys in ``home`` and an admin token of its own, started; and the token."""
    admin = secrets.token_urlsafe(32)
    server = Server(home, {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
                           "VERIFIER_ADMIN_TOKEN": admin, **(env or {})})  # fmt: skip
    server.start(timeout)
    return server, admin
