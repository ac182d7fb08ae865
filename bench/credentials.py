"""The standards face under load: GET /credentials/{id} and a status list, beside a bare FastAPI endpoint.

    .venv/bin/python bench/credentials.py [--size 10000] [--seconds 10] [--connections 32]
    (or: make bench-credentials)

First the credential's size for each demo certificate (the JWT, and the enveloped JSON). Then a
registry of ``--size`` certificates on SQLite (a tenth of them revoked, so the list has bits set), one
uvicorn worker as bench/verify_http.py serves it (uvloop, the guarded protocol, /bare answering a
constant JSON), and wrk on /bare, on /credentials/{id} rotating over 1,000 ids, and on the issuer's
revocation list. A credential is served as stored at issuance (held in memory once asked for); a
status list is built once per change and answered from memory with its ETag. bench/public_reads.py
measures the same at scale, on PostgreSQL too, cold and warm.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from verify_http import DEMO, bench_registry, free_port, wrk  # noqa: E402


def sizes() -> list[tuple[str, int, int]]:
    """(name, JWT bytes, enveloped JSON bytes) of each demo certificate's credential."""
    from verifier.credentials.dcc import Issued, dcc
    from verifier.credentials.did import issuer_did, key_url
    from verifier.credentials.statuslist import entries
    from verifier.credentials.vcjose import enveloped, sign_credential
    from verifier.trust.keys import new_signing_key

    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    url = "https://verify.zhejiang-made.example"
    did = issuer_did(url, "zjcert")
    made = []
    for path in sorted(DEMO.glob("*.json")):
        name = "Zhejiang Product Certification Centre (浙江省产品认证中心)"
        status = entries(url, "zjcert", 77_777)
        issued = Issued("5b1f0e4e-6c7a-4b8e-9c1d-2a3b4c5d6e7f", url, did, name, datetime.now(UTC), "ab" * 32, status)
        jwt = sign_credential(dcc(json.loads(path.read_text("utf-8")), issued), key, key_url(did, key.record))
        made.append((path.stem, len(jwt), len(json.dumps(enveloped(jwt), separators=(",", ":")))))
    return made


def fill(home: Path, size: int) -> list[str]:
    """Register ``size`` certificates (a tenth revoked); returns 1,000 of their ids."""
    from verifier.certificate.status import Action
    from verifier.issuing.recipe import issue

    registry, engine, issuer, templates, now, public_url = bench_registry(home)
    templates = [t for t in templates if t.valid_until > now.date()]  # an ended validity is refused at issuance
    ids = []
    for start in range(0, size, 1000):
        batch = [templates[i % len(templates)].model_copy(update={"number": f"B-{i:08d}"})
                 for i in range(start, min(size, start + 1000))]  # fmt: skip
        for offset, record in enumerate(issue(registry, issuer, batch, public_url, now)):
            ids.append(record.id)
            if (start + offset) % 10 == 0:
                registry.certificates.change_status(issuer, record.id, Action.REVOKE, "other", "bench", now)
    engine.dispose()
    step = max(1, len(ids) // 1000)
    return ids[::step][:1000]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    print("credential size per demo certificate (JWT / enveloped JSON):")
    for name, jwt, envelope in sizes():
        print(f"  {name:<34} {jwt:>6,} bytes / {envelope:>6,} bytes")
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (make bench-credentials installs it)")
    home = Path(tempfile.mkdtemp(prefix="verifier-bench-credentials-"))
    port = free_port()
    env = {**os.environ, "VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
           "VERIFIER_PUBLIC_URL": f"http://127.0.0.1:{port}", "VERIFIER_ADMIN_TOKEN": secrets.token_urlsafe(32),
           "VERIFIER_RATE_LIMIT": "0", "VERIFIER_RENDER_PDFS": "0"}  # fmt: skip
    os.environ.update(env)
    started = time.monotonic()
    ids = fill(home, args.size)
    print(f"({args.size:,} certificates stored, a tenth revoked, in {time.monotonic() - started:.0f} s)")
    script = home / "ids.lua"
    paths = ", ".join(f'"/credentials/{i}"' for i in ids)
    rotate = "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
    script.write_text(f"local paths = {{{paths}}}\nlocal i = 0\n{rotate}")
    server = subprocess.Popen([sys.executable, str(REPO / "bench" / "verify_http.py"), "--serve", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        listed = httpx.get(f"{base}/status/bench/revocation/0")
        assert listed.status_code == 200, listed.text
        print(f"revocation list: {len(listed.content):,} bytes enveloped")
        results = {}
        for name, url, lua in (("bare", f"{base}/bare", None), ("credential", base, script),
                               ("status list", f"{base}/status/bench/revocation/0", None)):  # fmt: skip
            wrk(url, 2, args.connections, lua)  # warm up
            results[name] = wrk(url, args.seconds, args.connections, lua)
        bare = results["bare"][0]
        for name, (rate, p99) in results.items():
            print(f"  {name:<12} {rate:>9,.0f} req/s  p99 {p99:6.1f} ms  ({rate / bare:.2f} × bare)")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
