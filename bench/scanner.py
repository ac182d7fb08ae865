"""The official scanner (/scan) measured in Debian's headless Chromium with a fake camera.

    .venv/bin/python bench/scanner.py [--runs 10]      (or: make bench-scanner)

- the time from a code appearing in the camera to its verdict on screen: the clip (scripts/scanner_clips.py,
  from a certificate PDF) shows an empty desk for 1.0 s, then the code; measured from the first camera frame
  the page sees plus that second, to the verdict shown; median over ``--runs`` page loads;
- the bytes the page costs on the wire on a first visit (a fresh browser: page, modules, decoder, lists) and on
  a later one, counted by a TCP proxy between the browser and the service (headers included; Chromium takes
  brotli here as a phone does over https); the goal is ≤ 400 KB compressed on the first visit, decoder
  included, and about nothing later;
- the time to check one code in the page (seal, signature, claims, status lists), median of 100 pastes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from scanner_clips import clip  # noqa: E402

from tests.helpers import DEMO  # noqa: E402
from tests.helpers.browser import Browser  # noqa: E402
from tests.helpers.server import Server  # noqa: E402

LEAD_SECONDS = 1.0  # the clip's empty desk before the code


class CountingProxy:
    """A TCP relay that counts the bytes the service sends and notes each request line."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.received = 0
        self.requests: list[str] = []
        self.encodings: dict[str, str] = {}
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", self.port))
        self.loop.run_until_complete(server.serve_forever())

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        last: list[str] = [""]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, down: bool) -> None:
            try:
                while data := await source.read(65536):
                    if down:
                        self.received += len(data)
                        head = data[:2048].decode("latin-1")
                        if head.startswith("HTTP/1.1") and "content-encoding:" in head.lower():
                            encoding = head.lower().split("content-encoding:")[1].split("\r\n")[0].strip()
                            self.encodings[last[0]] = encoding
                    else:
                        line = data[:300].decode("latin-1").split("\r\n")[0]
                        if line.split(" ")[0] in ("GET", "POST", "HEAD"):
                            self.requests.append(line)
                            last[0] = line.split(" ")[1]
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))


def prepare(home: Path) -> tuple[Server, str, bytes]:
    """A service with one certificate issued: the service, its QR text and its PDF."""
    admin = secrets.token_urlsafe(32)
    env = {
        "VERIFIER_DATA_DIR": str(home / "data"),
        "VERIFIER_KEYS_DIR": str(home / "keys"),
        "VERIFIER_ADMIN_TOKEN": admin,
        "VERIFIER_PUBLIC_URL": "https://verify.zhejiang-made.example",
    }
    server = Server(home, env)
    server.start()
    names = {"id": "zjcert", "name": "浙江省产品认证中心", "name_en": "Zhejiang Product Certification Centre"}
    made = httpx.post(f"{server.url}/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"}, json=names)
    issuer = {"Authorization": f"Bearer {made.json()['token']}"}
    certificate = httpx.post(f"{server.url}/api/v1/certificates", json=DEMO["international-cooperation-valve"],
                             headers=issuer, timeout=60).json()  # fmt: skip
    pdf = httpx.get(f"{server.url}/api/v1/certificates/{certificate['id']}/pdf", headers=issuer).content
    warm(server.url)
    return server, certificate["qr"], pdf


def warm(base: str) -> None:
    """Let the service make its best brotli of the decoder, as it has long before an officer's first visit.

    (It serves a quick one at once and the best one, 12% smaller, some seconds later.)
    """
    wasm = f"{base}/scan/vendor/zxing-wasm/dist/reader/zxing_reader.wasm"
    first = httpx.get(wasm, headers={"Accept-Encoding": "br"}).num_bytes_downloaded
    for _ in range(60):
        time.sleep(0.5)
        if httpx.get(wasm, headers={"Accept-Encoding": "br"}).num_bytes_downloaded < first:
            return


async def until(call: Any, expression: str, seconds: float = 40.0) -> Any:
    for _ in range(int(seconds * 20)):
        answer = await call("Runtime.evaluate", expression=expression, returnByValue=True)
        if value := answer.get("result", {}).get("value"):
            return value
        await asyncio.sleep(0.05)
    raise TimeoutError(expression)


CAMERA_VERDICT = ("window.scanner && window.scanner.frames.length > 30 && "
                  "window.scanner.verdicts.find(v => v.source === 'camera')")  # fmt: skip


def camera(clip_path: Path) -> Browser:
    return Browser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={clip_path}"])  # fmt: skip


def measure(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="verifier-bench-scanner-") as folder:
        home = Path(folder)
        server, qr, pdf = prepare(home)
        proxy = CountingProxy(server.port)
        url = f"http://127.0.0.1:{proxy.port}/scan"
        try:
            clip(pdf, home / "first.y4m", lead_frames=int(LEAD_SECONDS * 10))
            browser = camera(home / "first.y4m")
            try:
                result = browser.drive(lambda call: visits(call, url, proxy, qr))
            finally:
                browser.close()
            # The code appears 1.0, 1.1, ... s into each clip: the decoder's 120 ms rhythm meets it at every phase.
            result["latencies"] = []
            for run in range(runs):
                lead = LEAD_SECONDS + run / 10
                clip(pdf, home / f"run-{run}.y4m", lead_frames=round(lead * 10))
                browser = camera(home / f"run-{run}.y4m")
                try:
                    result["latencies"].append(browser.drive(lambda call: later_visit(call, url, lead)))  # noqa: B023
                finally:
                    browser.close()
        finally:
            server.stop()
        report(result, proxy)


async def appeared(call: Any, lead: float = LEAD_SECONDS) -> float:
    """When the camera caught the clip's first frame with the code: ``lead`` seconds into the stream."""
    frames = (await call("Runtime.evaluate", expression="window.scanner.frames", returnByValue=True))["result"]["value"]
    return float(next(now for media, now in frames if media >= lead - 0.01))


async def visits(call: Any, url: str, proxy: CountingProxy, qr: str) -> dict[str, Any]:
    """A first visit in a fresh browser, three later ones, and 100 checks of a pasted code."""
    await call("Page.enable")
    await call("Runtime.enable")
    await call("Page.navigate", url=url)
    found = await until(call, CAMERA_VERDICT)
    await until(call, "window.scanner.offlineReady && window.scanner.ready")
    await asyncio.sleep(1.0)  # the worker's own fetches settle
    first_visit, first_requests = proxy.received, list(proxy.requests)
    first_latency = found["at"] - await appeared(call)
    later = []
    for _ in range(3):
        before = proxy.received
        await call("Page.reload")
        await asyncio.sleep(0.2)
        await until(call, CAMERA_VERDICT)
        await asyncio.sleep(0.5)
        later.append(proxy.received - before)
    await call("Runtime.evaluate", expression="document.getElementById('online').checked = false")
    await call("Runtime.evaluate", expression=f"""(async () => {{
        const box = document.getElementById('pasted'); box.value = {json.dumps(qr)};
        window.scanner.verifyMs.length = 0;
        for (let i = 0; i < 100; i++) {{
          document.getElementById('check').click();
          await new Promise(r => setTimeout(r, 5));
        }}
    }})()""", awaitPromise=True)  # fmt: skip
    verify_ms = (await call("Runtime.evaluate", expression="window.scanner.verifyMs", returnByValue=True))["result"]
    return {"first_latency": first_latency, "first_visit": first_visit, "first_requests": first_requests,
            "later": later, "verify_ms": verify_ms["value"]}  # fmt: skip


async def later_visit(call: Any, url: str, lead: float) -> float:
    """Visit once (the worker keeps everything), load again: from the code's appearance to its verdict."""
    await call("Page.enable")
    await call("Runtime.enable")
    await call("Page.navigate", url=url)
    await until(call, "window.scanner && window.scanner.offlineReady && window.scanner.ready")
    await call("Page.reload")
    await asyncio.sleep(0.2)
    found = await until(call, CAMERA_VERDICT)
    return float(found["at"] - await appeared(call, lead))


def report(result: dict[str, Any], proxy: CountingProxy) -> None:
    latencies = result["latencies"]
    print(f"code in the camera → verdict on screen: median {statistics.median(latencies):.0f} ms of "
          f"{len(latencies)} (min {min(latencies):.0f}, max {max(latencies):.0f}); on a first visit "
          f"{result['first_latency']:.0f} ms")  # fmt: skip
    print(f"first visit on the wire: {result['first_visit'] / 1024:.0f} KiB in {len(result['first_requests'])} "
          f"requests (encodings: {sorted(set(proxy.encodings.values()))}; goal ≤ 400 KB compressed)")  # fmt: skip
    wasm = next((p for p in proxy.encodings if p.endswith(".wasm")), None)
    if wasm:
        print(f"  the decoder's WebAssembly came as {proxy.encodings[wasm]}")
    print(f"later visits on the wire: median {statistics.median(result['later']) / 1024:.1f} KiB "
          f"(each: {', '.join(f'{b / 1024:.1f}' for b in result['later'])} KiB)")  # fmt: skip
    verify = result["verify_ms"]
    print(f"verify one code in the page: median {statistics.median(verify):.2f} ms over {len(verify)} "
          f"(p90 {sorted(verify)[int(len(verify) * 0.9)]:.2f} ms)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="page loads for the camera-to-verdict median")
    measure(parser.parse_args().runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
