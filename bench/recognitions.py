"""Recognitions measured (issue 28): the seal, its check, and what a scan costs with three of them.

    .venv/bin/python bench/recognitions.py [--runs 200]      (or: make bench-recognitions)

- the recognition seal (spec section 11): its bytes with one market and one basis line, and with ten markets
  and ten basis lines of 60 characters; the QR version of a link holding it (written as a certificate's);
- the check of one recognition, median over ``--runs``: Python (``check_recognition``) beside the check of a
  certificate's seal (``verify_cose``); JavaScript in Node, WebCrypto and @noble/curves;
- a served international-cooperation certificate (one uvicorn worker, ``verifier serve``) without a
  recognition, and with three (SGS, TÜV SÜD, Bureau Veritas; one of them signed elsewhere and uploaded) beside
  the two its issuer only declared: the /c/ JSON and the /c/ page, bytes and median time to verdict over
  ``--runs`` sequential requests (the recognitions remembered, as a scan of a certificate seen before finds them);
- the annex of recognitions (its PDF: bytes, pages, QR versions, time to render with each QR read back), and
  a recognition's credential (bytes, time to serve);
- /scan in Chromium: a pasted link of that certificate to its three recognitions checked on the device, median.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers import CURRENT  # noqa: E402
from tests.helpers.browser import Browser  # noqa: E402
from tests.helpers.server import Server  # noqa: E402
from verifier.certificate.model import parse_certificate  # noqa: E402
from verifier.issuing.recipe import seal_certificate  # noqa: E402
from verifier.paper.qr import qr_version  # noqa: E402
from verifier.seal.claims import claims_from_cbor  # noqa: E402
from verifier.seal.cose import decode_cose, decode_segment, encode_text  # noqa: E402
from verifier.seal.recognition import Recognition, base_digest, seal_recognition  # noqa: E402
from verifier.trust.keys import (  # noqa: E402
    Keyring,
    new_signing_key,
    public_key_pem,
)
from verifier.trust.parties import Recogniser  # noqa: E402
from verifier.trust.trustlist import build_trust_list  # noqa: E402
from verifier.verdict import IssuerInfo, Verdict  # noqa: E402
from verifier.verification.check import verify_cose  # noqa: E402
from verifier.verification.recognition import check_recognition  # noqa: E402

PUBLIC_URL = "https://verify.zhejiang-made.example"
COUNTRIES = ("DE", "FR", "GB", "IT", "ES", "NL", "BE", "AT", "PL", "SE")


def median_us(call: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def seal_and_check(runs: int) -> dict[str, Any]:
    """Sizes, QR versions and the Python check; writes a case for the Node timing."""
    now = datetime.now(UTC).replace(microsecond=0)
    issuer, body = new_signing_key(now - timedelta(days=1)), new_signing_key(now - timedelta(days=1))
    sealed = seal_certificate(parse_certificate(CURRENT["international-cooperation-valve"]), issuer, PUBLIC_URL, now, 7)
    base = claims_from_cbor(decode_cose(sealed.cose).payload)
    small = Recognition(base_digest(sealed.cose), "SGS-DE-2026-0001", ("DE",), ("EN 12266-1:2012",),
                        base.valid_from, base.valid_until, now, 4242)  # fmt: skip
    large = Recognition(base_digest(sealed.cose), "SGS-EU-2026-000000000000000000000000001", COUNTRIES,
                        tuple(f"EN {13828 + i}:2003 national deviation " + "x" * 22 for i in range(10)),
                        base.valid_from, base.valid_until, now, 4_294_967_295)  # fmt: skip
    sgs = Recogniser("sgs", "通标", "SGS", "CH", (body.record,), frozenset(COUNTRIES),
                     frozenset({"international-cooperation"}))  # fmt: skip
    cose_small, cose_large = seal_recognition(small, body), seal_recognition(large, body)
    ring = Keyring("zjcert", (issuer.record,), issuer.kid)
    trust = build_trust_list([(IssuerInfo("zjcert", "浙江", "ZJ"), ring)], [PUBLIC_URL], now)
    out = {
        "seal_bytes": (len(cose_small), len(cose_large)),
        "qr_version": (
            qr_version(encode_text(cose_small, PUBLIC_URL)),
            qr_version(encode_text(cose_large, PUBLIC_URL)),
        ),
        "certificate_seal_bytes": len(sealed.cose),
        "python_us": median_us(
            lambda: check_recognition(cose_small, sealed.cose, base, Verdict.VALID, (sgs,), now), runs
        ),
        "python_certificate_us": median_us(lambda: verify_cose(sealed.cose, trust, now), runs),
    }
    x = base64.urlsafe_b64encode(body.record.public_key.public_bytes_raw()).decode().rstrip("=")
    case = {"cose": cose_small.hex(), "base": sealed.cose.hex(), "x": x, "kid": body.record.kid_hex,
            "not_before": body.record.not_before.timestamp(), "at": now.isoformat(),
            "content": {"scheme": base.scheme.value, "valid_from": base.valid_from.isoformat(),
                        "valid_until": base.valid_until.isoformat()}}  # fmt: skip
    out["js_us"] = node_timing(case, runs)
    return out


NODE = """
import { checkRecognition } from "%(index)s";
import { fromBase64url } from "%(trust)s";
const c = JSON.parse(process.argv[1]);
const runs = Number(process.argv[2]);
const hex = (t) => Uint8Array.from(Buffer.from(t, "hex"));
const body = { id: "sgs", name: "通标", name_en: "SGS", country: "CH", markets: new Set(["DE"]),
  schemes: new Set(["international-cooperation"]),
  keys: new Map([[c.kid, { publicKey: fromBase64url(c.x), notBefore: c.not_before, notAfter: null }]]) };
const out = {};
for (const prefer of ["webcrypto", "noble"]) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = await checkRecognition(hex(c.cose), hex(c.base), c.content, "valid", [body], new Date(c.at), { prefer });
    times.push(performance.now() - started);
    if (r.verdict !== "valid") throw new Error(r.detail);
  }
  times.sort((a, b) => a - b);
  out[prefer] = times[Math.floor(times.length / 2)] * 1000;
}
console.log(JSON.stringify(out));
"""


def node_timing(case: dict[str, Any], runs: int) -> dict[str, float]:
    script = NODE % {"index": (REPO / "web/seal/index.js").as_uri(), "trust": (REPO / "web/seal/trust.js").as_uri()}
    done = subprocess.run(["node", "--input-type=module", "-e", script, json.dumps(case), str(runs)],
                          cwd=REPO, capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def served(home: Path) -> tuple[Server, str, str, dict[str, Any]]:
    """A service with the valve recognised by three bodies, and another valve recognised by none: their links.

    And what the annex and the credentials are fetched with: the issuer's token, the valve's id, SGS's recognition.
    """
    admin = secrets.token_urlsafe(32)
    server = Server(home, {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
                           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_LOG_LEVEL": "warning"})  # fmt: skip
    server.start()
    url, headers = server.url, {"Authorization": f"Bearer {admin}"}

    def party(ident: str, name_en: str, country: str, markets: list[str], **extra: Any) -> dict[str, str]:
        body = {"id": ident, "name": name_en, "name_en": name_en, "country": country, "roles": ["recognise"],
                "remit": {"markets": markets, "schemes": ["international-cooperation"]}, **extra}  # fmt: skip
        made = httpx.post(f"{url}/api/v1/issuers", json=body, headers=headers)
        made.raise_for_status()
        return {"Authorization": f"Bearer {made.json()['token']}"}

    made = httpx.post(f"{url}/api/v1/issuers", headers=headers, json={"id": "zjcert", "name": "浙江", "name_en": "ZJ"})
    issuer = {"Authorization": f"Bearer {made.json()['token']}"}
    valves = [httpx.post(f"{url}/api/v1/certificates", headers=issuer, timeout=60,
                         json=dict(CURRENT["international-cooperation-valve"], number=n)).json()
              for n in ("ZJM-IC-2026-0001", "ZJM-IC-2026-0002")]  # fmt: skip
    tuv_key = new_signing_key(datetime.now(UTC) - timedelta(minutes=5))
    sgs = party("sgs", "SGS", "CH", ["DE", "FR", "GB"])
    tuv = party("tuv", "TÜV SÜD", "DE", ["DE"], public_key=public_key_pem(tuv_key.record.public_key).decode())
    bv = party("bv", "Bureau Veritas", "FR", ["FR", "BE"])
    cid, made = valves[0]["id"], []
    for token, number, markets in ((sgs, "SGS-DE-2026-0001", ["DE", "GB"]), (bv, "BV-FR-2026-0042", ["FR", "BE"])):
        answer = httpx.post(
            f"{url}/api/v1/recognitions",
            headers=token,
            json={"certificate_id": cid, "number": number, "markets": markets, "basis": ["EN 12266-1:2012"]},
        )
        answer.raise_for_status()
        made.append(answer.json())
    cose = decode_segment(valves[0]["qr"].rsplit("/", 1)[1])
    base = claims_from_cbor(decode_cose(cose).payload)
    signed = seal_recognition(Recognition(base_digest(cose), "TUV-DE-2026-0001", ("DE",), ("EN 12266-1:2012",),
                                          base.valid_from, base.valid_until, datetime.now(UTC).replace(microsecond=0)),
                              tuv_key)  # fmt: skip
    httpx.post(
        f"{url}/api/v1/recognitions",
        headers=tuv,
        json={"certificate_id": cid, "seal": base64.b64encode(signed).decode()},
    ).raise_for_status()
    return server, valves[0]["qr"], valves[1]["qr"], {"issuer": issuer, "id": cid, "sgs": made[0]}


def timed_gets(client: httpx.Client, path: str, accept: str, runs: int) -> tuple[int, float, int]:
    """(bytes, median ms, recognitions in the JSON) of ``runs`` sequential GETs, after one that warms."""
    client.get(path, headers={"Accept": accept})
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(path, headers={"Accept": accept})
        times.append(time.perf_counter() - started)
        size = len(answer.content)
    count = len(answer.json()["recognitions"]) if "json" in accept else answer.text.count('data-field="recognition-')
    return size, statistics.median(times) * 1000, count


async def until(call: Any, expression: str, seconds: float = 30.0) -> Any:
    for _ in range(int(seconds * 20)):
        found = await call("Runtime.evaluate", expression=expression, returnByValue=True)
        value = found.get("result", {}).get("value")
        if value:
            return value
        await asyncio.sleep(0.05)
    return None


def scanner(url: str, qr: str, runs: int) -> float:
    """Median ms from a pasted link to its three recognitions checked on the device (registry on)."""

    async def script(call: Any) -> list[float]:
        await call("Page.enable")
        await call("Runtime.enable")
        await call("Page.navigate", url=f"{url}/scan")
        assert await until(call, "window.scanner && window.scanner.ready")
        times = []
        for _ in range(runs):
            await call("Runtime.evaluate", expression="window.scanner.recognitions = []")
            started = time.perf_counter()
            await call("Runtime.evaluate", expression=f"document.getElementById('pasted').value = {json.dumps(qr)};"
                                                      "document.getElementById('check').click()")  # fmt: skip
            found = await until(call, "window.scanner.recognitions.filter(r => r.onDevice && r.verdict === 'valid')"
                                      ".length === 3")  # fmt: skip
            assert found, "the three recognitions were not checked on the device"
            times.append(time.perf_counter() - started)
        return times

    browser = Browser()
    try:
        return statistics.median(browser.drive(script)) * 1000
    finally:
        browser.close()


def annex(client: httpx.Client, scene: dict[str, Any], runs: int) -> None:
    """The annex of the three recognitions: bytes, pages, QR versions, median time to render and read back."""
    import pypdfium2 as pdfium

    path = f"/api/v1/certificates/{scene['id']}/recognitions.pdf"
    times, data = [], b""
    for _ in range(runs + 1):
        started = time.perf_counter()
        answer = client.get(path, headers=scene["issuer"], timeout=60)
        answer.raise_for_status()
        times.append(time.perf_counter() - started)
        data = answer.content
    document = pdfium.PdfDocument(data)
    pages = len(document)
    document.close()
    listed = client.get(f"/credentials/{scene['id']}/recognitions").json()["recognitions"]
    versions = sorted(qr_version(r["link"]) for r in listed)
    print(f"annex with three recognitions: {len(data):,} bytes, {pages} page(s), QR versions {versions}; "
          f"rendered and each QR read back by two decoders in {statistics.median(times[1:]) * 1000:.0f} ms median "
          f"(first {times[0] * 1000:.0f} ms, the render worker starting)")  # fmt: skip


def credential(client: httpx.Client, scene: dict[str, Any], runs: int) -> None:
    """SGS's recognition as a credential: bytes of the JWT, median time to serve it (made once, then remembered)."""
    path = f"/credentials/{scene['id']}/recognitions/{scene['sgs']['id']}"
    size, ms, _ = timed_gets(client, path, "application/vc+jwt", runs)
    print(f"a recognition's credential (SGS, VC-JOSE): {size:,} bytes, served in {ms:.2f} ms median")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    seal = seal_and_check(args.runs)
    small, large = seal["seal_bytes"]
    print(f"recognition seal: {small} bytes (1 market, 1 basis line), {large} bytes (10 markets, 10 lines of 60)")
    print(f"  as a QR link: version {seal['qr_version'][0]} and {seal['qr_version'][1]} "
          f"(the certificate's seal: {seal['certificate_seal_bytes']} bytes)")  # fmt: skip
    print(f"check of one recognition, median: Python {seal['python_us']:.0f} µs "
          f"(a certificate's seal: {seal['python_certificate_us']:.0f} µs); JavaScript in Node "
          f"{seal['js_us']['webcrypto']:.0f} µs WebCrypto, {seal['js_us']['noble']:.0f} µs @noble/curves")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        server, recognised, plain, scene = served(Path(folder))
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                for label, qr in (
                    ("no recognition, two declared", plain),
                    ("three recognitions, two declared", recognised),
                ):
                    path = "/c/" + qr.rsplit("/", 1)[1]
                    json_bytes, json_ms, count = timed_gets(client, path, "application/json", args.runs)
                    page_bytes, page_ms, rows = timed_gets(client, path + "?lang=en", "text/html", args.runs)
                    print(f"/c/ with {label}: JSON {json_bytes:,} bytes in {json_ms:.2f} ms ({count} listed); "
                          f"page {page_bytes:,} bytes in {page_ms:.2f} ms ({rows} rows)")  # fmt: skip
                annex(client, scene, max(3, args.runs // 40))
                credential(client, scene, args.runs)
            on_device = scanner(server.url, recognised, max(5, args.runs // 20))
            print(f"/scan: a pasted link to its three recognitions checked on the device: {on_device:.0f} ms median")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
