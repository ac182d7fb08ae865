"""Debian's headless Chromium driven over the DevTools protocol (no browser download, no npm)."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import websockets

T = TypeVar("T")

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]  # fmt: skip


def chromium() -> str:
    found = shutil.which("chromium")
    if not found:
        raise RuntimeError("chromium is missing: make test installs Debian's chromium")
    return found


def _caller(ws: Any) -> Any:
    """A DevTools call over ``ws``: send a method with its parameters, wait for its own answer.

    Events that arrive meanwhile are kept in ``call.events`` (the last 1,000), e.g. console messages.
    """
    counter = 0
    events: list[dict[str, Any]] = []

    async def call(method: str, **params: Any) -> Any:
        nonlocal counter
        counter += 1
        await ws.send(json.dumps({"id": counter, "method": method, "params": params}))
        while True:
            message = json.loads(await ws.recv())
            if message.get("id") == counter:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                events.append(message)
                del events[:-1000]

    call.events = events  # type: ignore[attr-defined]
    return call


class Browser:
    """One headless Chromium with a DevTools port; :meth:`visit` loads a page and measures it."""

    def __init__(self, flags: list[str] | None = None) -> None:
        """Start Chromium; ``flags`` are more command-line switches (a fake camera, say)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.profile = Path(tempfile.mkdtemp(prefix="verifier-chromium-"))
        self.process = subprocess.Popen(
            [chromium(), *FLAGS, *(flags or []), f"--remote-debugging-port={self.port}",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                targets = httpx.get(f"http://127.0.0.1:{self.port}/json", timeout=1).json()
                self.socket_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
                return
            except (httpx.TransportError, StopIteration, ValueError):
                if time.monotonic() > deadline:
                    raise RuntimeError("chromium did not start") from None
                time.sleep(0.1)

    def visit(self, url: str, width: int, height: int, screenshot: Path) -> dict[str, Any]:
        """Load ``url`` in a ``width``×``height`` phone viewport; measurements, and a screenshot saved."""
        return asyncio.run(self._visit(url, width, height, screenshot))

    async def _visit(self, url: str, width: int, height: int, screenshot: Path) -> dict[str, Any]:
        async with websockets.connect(self.socket_url, max_size=50_000_000) as ws:
            call = _caller(ws)

            await call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=2,
                       mobile=True)  # fmt: skip
            await call("Page.enable")
            await call("Page.navigate", url=url)
            for _ in range(100):
                state = await call("Runtime.evaluate", expression="document.readyState", returnByValue=True)
                if state["result"]["value"] == "complete":
                    break
                await asyncio.sleep(0.05)
            measured = await call(
                "Runtime.evaluate",
                returnByValue=True,
                expression="""(() => { const v = document.querySelector('.verdict').getBoundingClientRect();
                    return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
                            innerHeight: window.innerHeight, verdictBottom: v.bottom, verdictTop: v.top,
                            lang: document.documentElement.lang, dir: document.documentElement.dir}; })()""",
            )
            shot = await call("Page.captureScreenshot", format="png")
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            return dict(measured["result"]["value"])

    def wait_for(
        self, url: str, expression: str, screenshot: Path, seconds: float = 20.0, size: tuple[int, int] = (1280, 900)
    ) -> Any:
        """Load ``url`` in a ``size`` window and evaluate ``expression`` until it is truthy (or ``seconds``
        pass); its last value."""
        return asyncio.run(self._wait_for(url, expression, screenshot, seconds, size))

    async def _wait_for(
        self, url: str, expression: str, screenshot: Path, seconds: float, size: tuple[int, int]
    ) -> Any:
        async with websockets.connect(self.socket_url, max_size=50_000_000) as ws:
            call = _caller(ws)

            width, height = size
            await call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=2,
                       mobile=width < 600)  # fmt: skip
            await call("Page.enable")
            await call("Page.navigate", url=url)
            deadline = time.monotonic() + seconds
            value = None
            while time.monotonic() < deadline:
                answer = await call("Runtime.evaluate", expression=expression, returnByValue=True)
                value = answer.get("result", {}).get("value")
                if value:
                    break
                await asyncio.sleep(0.1)
            shot = await call("Page.captureScreenshot", format="png")
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            return value

    def drive(self, script: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``script`` with a DevTools caller on the page: any methods, in any order; its result."""

        async def run() -> T:
            async with websockets.connect(self.socket_url, max_size=50_000_000) as ws:
                return await script(_caller(ws))

        return asyncio.run(run())

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
