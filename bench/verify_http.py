"""GET /c/{code} as JSON beside a bare FastAPI endpoint, on one uvicorn worker, under wrk.

    .venv/bin/python bench/verify_http.py [--sizes 1000,1000000] [--seconds 10] [--connections 32] [--cold] [--logs]
    (or: make bench-http)

For each registry size: the registry is filled with that many sealed certificates (through the
library, in batches of 1,000, on SQLite under a temporary folder), one uvicorn worker (uvloop, the
guarded httptools protocol and the limits of `verifier serve`) serves the app with an extra route /bare
that answers a constant JSON, and wrk (32
connections, loopback) measures /bare, then /c/{code} rotating over 1,000 codes spread across the
registry. Goals (issue 3): verify rate ≥ 0.6 × bare rate, p99 ≤ 20 ms, and no growth with the size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "verifier" / "demo"  # the demo certificates


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_registry(
    home: Path, database_url: str = "", public_url: str | None = None
) -> tuple[Any, Any, Any, list[Any], datetime, str]:
    """A fresh registry under ``home`` (SQLite there, or ``database_url``) with the issuer "bench": (registry,
    engine, issuer, demo certificates, now, public URL: ``public_url``, else $VERIFIER_PUBLIC_URL). Shared by
    the benchmarks that fill a registry before they measure."""
    from verifier.certificate.model import parse_certificate
    from verifier.config import Settings
    from verifier.store.database import make_engine, migrate
    from verifier.store.records import Principal, Role
    from verifier.store.registry import Registry
    from verifier.trust.keys import KeyStore
    from verifier.verdict import IssuerInfo

    settings = Settings(data_dir=home / "data", keys_dir=home / "keys", database_url=database_url,
                        public_url=public_url or os.environ["VERIFIER_PUBLIC_URL"])  # fmt: skip
    engine = make_engine(settings.database)
    migrate(engine)
    registry = Registry(engine, KeyStore(settings.keys_dir))
    now = datetime.now(UTC)
    registry.issuers.ensure_operator_key(now)
    registry.create_issuer(Principal("bench", Role.OPERATOR), IssuerInfo("bench", "基准", "Bench"), now)
    issuer = Principal("bench", Role.ISSUER, "bench")
    templates = [parse_certificate(json.loads(p.read_text("utf-8"))) for p in sorted(DEMO.glob("*.json"))]
    return registry, engine, issuer, templates, now, settings.public_url


def fill(home: Path, size: int) -> list[str]:
    """Register ``size`` certificates (variants of the reference ones); returns 1,000 link segments."""
    from verifier.issuing.recipe import issue

    registry, engine, issuer, templates, now, public_url = bench_registry(home)
    templates = [t for t in templates if t.valid_until.year >= 2027]  # in force today: the verdict is "valid"
    picks = set(random.Random(7).sample(range(size), min(1000, size)))
    segments = []
    started = time.monotonic()
    for start in range(0, size, 1000):
        batch = [
            templates[i % len(templates)].model_copy(update={"number": f"B-{i:08d}"})
            for i in range(start, min(size, start + 1000))
        ]
        for offset, record in enumerate(issue(registry, issuer, batch, public_url, now)):
            if start + offset in picks:
                segments.append(record.qr_text.rsplit("/", 1)[1])
        if start and start % 100_000 == 0:
            print(f"  filled {start:,} in {time.monotonic() - started:.0f} s", flush=True)
    engine.dispose()
    return segments


def serve(port: int) -> None:
    """The service plus bare routes (a constant JSON; 8 KB of static bytes), on one uvicorn worker."""
    import uvicorn
    from fastapi import Response

    from verifier.api.protocol import server_options
    from verifier.server.app import app_from_environment

    app = app_from_environment()

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"verdict": "valid", "reason": "in_force"}

    static = bytes(range(256)) * 32  # 8 KB: a full tile's size (bench/log.py)

    @app.get("/bare/bytes")
    async def bare_bytes() -> Response:
        return Response(static, media_type="application/octet-stream", headers={"Cache-Control": "public"})

    # As `verifier serve` runs it: the guarded httptools protocol and the server's limits.
    options = server_options(app.state.services.settings)
    if os.environ.get("BENCH_ACCESS_LOG") == "1":  # as `verifier serve` logs: a JSON line per request
        from verifier import logs

        config = logs.configure("info")
        uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", log_config=config, **options)
        return
    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", log_level="warning", **options)


def wrk(url: str, seconds: int, connections: int, script: Path | None) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) from wrk."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", "Accept: application/json"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99_value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(p99_value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed requests:\n{out}")
    return rate, p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--cold", action="store_true", help="also measure with the seal cache off: every scan verifies Ed25519"
    )
    parser.add_argument(
        "--logs", action="store_true", help="also measure with a JSON access line per request (to a file)"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (make bench-http installs it)")
    print(
        f"{'stored':>10} {'seal cache':>10} {'bare req/s':>11} {'bare p99':>9} {'verify req/s':>13} "
        f"{'verify p99':>11} {'ratio':>6}"
    )
    modes = ["on", *(["off"] if args.cold else []), *(["on+log"] if args.logs else [])]
    for size in (int(s) for s in args.sizes.split(",")):
        home = Path(tempfile.mkdtemp(prefix="verifier-bench-"))
        port = free_port()
        env = {
            **os.environ,
            "VERIFIER_DATA_DIR": str(home / "data"),
            "VERIFIER_KEYS_DIR": str(home / "keys"),
            "VERIFIER_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "VERIFIER_ADMIN_TOKEN": secrets.token_urlsafe(32),
            "VERIFIER_RATE_LIMIT": "0",  # one client (wrk) sends thousands a second on purpose
        }
        os.environ.update(env)
        started = time.monotonic()
        segments = fill(home, size)
        print(f"  ({size:,} certificates stored in {time.monotonic() - started:.0f} s)", flush=True)
        script = home / "codes.lua"
        paths = ", ".join(f'"/c/{s}"' for s in segments)
        script.write_text(
            f"local paths = {{{paths}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
        )
        for mode in modes:
            env["VERIFIER_SEAL_CACHE"] = "0" if mode == "off" else "10000"
            env["BENCH_ACCESS_LOG"] = "1" if mode.endswith("+log") else "0"
            measure(env, size, mode, segments, script, args)
        shutil.rmtree(home, ignore_errors=True)
    print("\ngoals: ratio ≥ 0.6, p99 ≤ 20 ms, and no growth with the registry's size")


def measure(
    env: dict[str, str], size: int, mode: str, segments: list[str], script: Path, args: argparse.Namespace
) -> None:
    """One server: wrk on /bare, then on the scans; prints a line."""
    port = int(env["VERIFIER_PUBLIC_URL"].rsplit(":", 1)[1])
    base = f"http://127.0.0.1:{port}"
    log = (script.parent / "server.log").open("ab")
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env=env, stderr=log)
    log.close()
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        answer = httpx.get(f"{base}/c/{segments[0]}", headers={"Accept": "application/json"}).json()
        assert answer["verdict"] == "valid", answer
        wrk(f"{base}/bare", 2, args.connections, None)  # warm up
        bare_rate, bare_p99 = wrk(f"{base}/bare", args.seconds, args.connections, None)
        wrk(base, 2, args.connections, script)
        rate, p99 = wrk(base, args.seconds, args.connections, script)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"{size:>10,} {mode:>10} {bare_rate:>11,.0f} {bare_p99:>7.1f}ms {rate:>13,.0f} {p99:>9.1f}ms "
        f"{rate / bare_rate:>6.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
