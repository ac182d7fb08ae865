"""The official scanner (/scan) in Debian's headless Chromium, its camera a fake device playing clips made from
the certificates' rasterised PDFs (scripts/scanner_clips.py): a valid, a revoked, a suspended, a forged and a
look-alike host's code, some tilted or blurred, each read to its verdict on the device; the same after one visit
with the service stopped; status lists past their age, a trust list past its age and a tampered one; a photo;
pasted text. The page's JavaScript verdicts equal the Python library's for every published vector: that is
tests/system/test_seal_js.py, on the very modules the page loads. Screenshots go to tests/artefacts/.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import CURRENT, DEMO, REPO
from tests.helpers.browser import Browser
from tests.helpers.server import Server
from verifier.certificate.model import certificate_json, parse_certificate
from verifier.paper.letterhead import Letterhead
from verifier.paper.render import Document, Renderer
from verifier.seal.claims import claims_to_cbor, sealed_content
from verifier.seal.cose import encode_text, sign
from verifier.trust.keys import new_signing_key

sys.path.insert(0, str(REPO / "scripts"))
from scanner_clips import clip

ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"
PUBLIC_URL = "https://verify.zhejiang-made.example"
LOOKALIKE = "https://verify.zhejiang-made.example.com"  # the official name with a label added
CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@dataclass
class Served:
    server: Server
    admin: str
    issuer: dict[str, str]
    texts: dict[str, str] = field(default_factory=dict)
    clips: dict[str, Path] = field(default_factory=dict)
    photos: dict[str, Path] = field(default_factory=dict)


def _forged_pdf(data: dict[str, Any], public_url: str, cose: bytes | None = None) -> tuple[bytes, str]:
    """A certificate PDF whose seal a stranger made (or ``cose`` under another host): what a forger prints."""
    certificate = parse_certificate(data)
    at = datetime.now(UTC)
    stranger = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    cose = cose or sign(claims_to_cbor(sealed_content(certificate, at)), stranger)
    text = encode_text(cose, public_url)
    letterhead = Letterhead("zjcert", "浙江省产品认证中心", "Zhejiang Product Certification Centre")
    document = Document(certificate_json(certificate), text, cose, letterhead, stranger.kid.hex(), at, public_url)
    return Renderer().pdf(document), text


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("scanner")
    admin = secrets.token_urlsafe(32)
    server = Server(home, {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
                           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_PUBLIC_URL": PUBLIC_URL})  # fmt: skip
    server.start()
    try:
        names = {"id": "zjcert", "name": "浙江省产品认证中心", "name_en": "Zhejiang Product Certification Centre"}
        made = httpx.post(f"{server.url}/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"}, json=names)
        issuer = {"Authorization": f"Bearer {made.json()['token']}"}
        served = Served(server, admin, issuer)
        pdfs: dict[str, bytes] = {}
        cases = (("valid", "international-cooperation-valve"), ("revoked", "zhejiang-made-kettle"),
                 ("suspended", "ccc-self-declaration-socket"), ("exemption", "ccc-exemption-samples"))  # fmt: skip
        for case, name in cases:
            certificate = httpx.post(f"{server.url}/api/v1/certificates", json=CURRENT[name], headers=issuer,
                                     timeout=60).json()  # fmt: skip
            served.texts[case] = certificate["qr"]
            pdfs[case] = httpx.get(f"{server.url}/api/v1/certificates/{certificate['id']}/pdf", headers=issuer).content
            if case in ("revoked", "suspended"):
                action = "revoke" if case == "revoked" else "suspend"
                reason = "non_conformity" if case == "revoked" else "investigation"
                changed = httpx.post(f"{server.url}/api/v1/certificates/{certificate['id']}/{action}",
                                     json={"reason": reason}, headers=issuer)  # fmt: skip
                assert changed.status_code == 200, changed.text
        genuine = _segment_cose(served.texts["valid"])  # a genuine seal: altered, or printed under a look-alike host
        valve = DEMO["international-cooperation-valve"]
        pdfs["forged"], served.texts["forged"] = _forged_pdf(valve, PUBLIC_URL, _altered(genuine, valve["number"]))
        pdfs["lookalike"], served.texts["lookalike"] = _forged_pdf(DEMO["international-cooperation-valve"],
                                                                   LOOKALIKE, genuine)  # fmt: skip
        clips = home / "clips"
        clips.mkdir()
        looks = {"valid": (0, 0), "revoked": (8, 0), "suspended": (0, 1.0), "forged": (0, 0), "lookalike": (-6, 0.8)}
        for case, (tilt, blur) in looks.items():
            view = clip(pdfs[case], clips / f"{case}.y4m", tilt, blur)
            served.clips[case] = clips / f"{case}.y4m"
            served.photos[case] = clips / f"{case}.png"
            view.save(served.photos[case])
        yield served
    finally:
        server.stop()


def _altered(cose: bytes, number: str) -> bytes:
    """The seal with one character of the certificate number changed after signing: forged."""
    changed = number[:-1] + ("1" if number[-1] != "1" else "2")
    altered = cose.replace(number.encode(), changed.encode(), 1)
    assert altered != cose
    return altered


def _segment_cose(text: str) -> bytes:
    from verifier.seal.cose import decode_segment

    return decode_segment(text.rsplit("/", 1)[1])


async def _until(call: Any, expression: str, seconds: float = 30.0) -> Any:
    """Evaluate ``expression`` in the page until it is truthy; its value (None when time ran out)."""
    for _ in range(int(seconds * 10)):
        answer = await call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        value = answer.get("result", {}).get("value")
        if value:
            return value
        await asyncio.sleep(0.1)
    return None


async def _open(call: Any, url: str, before: str | None = None) -> None:
    await call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
    await call("Page.enable")
    await call("Runtime.enable")
    if before:
        await call("Page.addScriptToEvaluateOnNewDocument", source=before)
    await call("Page.navigate", url=url)


async def _paste(call: Any, text: str) -> None:
    """Paste ``text`` into the page and press Check, as an officer would."""
    await call("Runtime.evaluate", expression=f"document.getElementById('pasted').value = {json.dumps(text)};"
                                              "document.getElementById('check').click()")  # fmt: skip


def _drive(script: Any, flags: list[str] | None = None) -> Any:
    """Run ``script`` in a fresh Chromium (with ``flags``: a fake camera, say); its result."""
    browser = Browser(flags)
    try:
        return browser.drive(script)
    finally:
        browser.close()


async def _shot(call: Any, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    shot = await call("Page.captureScreenshot", format="png")
    (ARTEFACTS / f"scan-{name}.png").write_bytes(base64.b64decode(shot["data"]))


CAMERA_THEN_REGISTRY = (
    "window.scanner && window.scanner.verdicts.some(v => v.source === 'camera' && "
    "!v.verdict.startsWith('registry')) && window.scanner.verdicts.length > 1"
)
FIRST_VERDICT = "window.scanner && window.scanner.verdicts.length && window.scanner.verdicts"
STATE = "({verdicts: window.scanner.verdicts, text: document.getElementById('answer').innerText})"


def _scan(served: Served, case: str, script: Any | None = None) -> Any:
    """Run ``script`` (by default: the first camera verdict and the registry's) with ``case``'s clip as the camera."""
    return _drive(
        script or (lambda call: _camera_verdict(call, served, case)),
        [*CAMERA, f"--use-file-for-fake-video-capture={served.clips[case]}"],
    )


async def _camera_verdict(call: Any, served: Served, case: str) -> Any:
    await _open(call, f"{served.server.url}/scan")
    found = await _until(call, CAMERA_THEN_REGISTRY, 40)
    state = (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]
    await _shot(call, case)
    assert found, (case, state, [e["params"] for e in call.events if e["method"] == "Runtime.exceptionThrown"])
    return state


EXPECTED = {
    "valid": ("valid", "registry:valid", "genuine and in force"),
    "revoked": ("revoked", "registry:revoked", "REVOKED"),
    "suspended": ("suspended", "registry:suspended", "SUSPENDED"),
    "forged": ("invalid", "registry:invalid", "FORGED OR ALTERED"),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_camera_reads_each_code_to_its_verdict(case: str, served: Served) -> None:
    """On the device first (the status from the signed lists), then the registry's word beside it."""
    state = _scan(served, case)
    verdict, registry, words = EXPECTED[case]
    seen = [v["verdict"] for v in state["verdicts"]]
    assert seen[:2] == [verdict, registry], state
    assert words in state["text"], state["text"]
    if case != "forged":
        assert state["verdicts"][0]["unchecked"] is False  # the status came from the downloaded lists


def test_a_look_alike_host_is_never_an_official_certificate(served: Served) -> None:
    """A genuine seal printed under verify.zhejiang-made.example.com: named as an imitation, never valid, and
    nothing is sent to the registry about it."""

    async def script(call: Any) -> Any:
        await _open(call, f"{served.server.url}/scan")
        found = await _until(call, "window.scanner && window.scanner.verdicts.some(v => v.source === 'camera')", 40)
        await asyncio.sleep(0.5)  # a registry check, if one were (wrongly) made, would land meanwhile
        await _shot(call, "lookalike")
        assert found
        return (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]

    state = _scan(served, "lookalike", script)
    assert [v["verdict"] for v in state["verdicts"]] == ["not_official"], state
    assert "NOT AN OFFICIAL CERTIFICATE LINK" in state["text"]
    assert "verify.zhejiang-made.example.com" in state["text"]
    assert "imitates the official address verify.zhejiang-made.example" in state["text"]


def test_after_one_visit_it_works_with_the_service_stopped(served: Served) -> None:
    """Visit once online; stop the service; reload: the page, its modules, the decoder, the trust list and the
    status lists come from the service worker, the revoked code is still revoked, the registry unreachable."""

    async def script(call: Any) -> Any:
        await _open(call, f"{served.server.url}/scan")
        assert await _until(call, "window.scanner && window.scanner.offlineReady && window.scanner.verdicts.length > 1")
        served.server.stop()
        try:
            await call("Page.reload")
            await _until(call, "window.scanner && window.scanner.verdicts.length > 1", 40)
            await _shot(call, "offline-revoked")
            return (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]
        finally:
            served.server.start()

    state = _scan(served, "revoked", script)
    assert [v["verdict"] for v in state["verdicts"]][:2] == ["revoked", "registry:unreachable"], state
    assert "could not be reached" in state["text"]


# Rewrites the kept copies of the lists in the worker's cache: their fetch time moved back, or a change.
AGE_LISTS = """(async () => {
  const cache = await caches.open("scan-data");
  for (const request of await cache.keys()) {
    if (!request.url.includes("/status/")) continue;
    const kept = await cache.match(request);
    const headers = new Headers(kept.headers);
    headers.set("X-Fetched-At", new Date(Date.now() - 3 * 86400e3).toUTCString());
    await cache.put(request, new Response(await kept.arrayBuffer(), {status: 200, headers}));
  }
  return true;
})()"""
TAMPER_TRUST_LIST = """(async () => {
  const cache = await caches.open("scan-data");
  const request = (await cache.keys()).find((r) => r.url.endsWith("/api/v1/trust-list"));
  const kept = await cache.match(request);
  const text = (await kept.text()).replace("Certification Centre", "Certification Centrf");
  await cache.put(request, new Response(text, {status: 200, headers: kept.headers}));
  return true;
})()"""
LATER = """const shift = 10 * 86400e3; const RealDate = Date;
Date = class extends RealDate {
  constructor(...a) { super(...(a.length ? a : [RealDate.now() + shift])); }
  static now() { return RealDate.now() + shift; }
};"""


def _offline_paste(served: Served, change: str | None, before: str | None, text: str) -> Any:
    """Visit online; change the kept lists; stop the service; reload (perhaps with a later clock); paste ``text``."""

    async def script(call: Any) -> Any:
        await _open(call, f"{served.server.url}/scan")
        assert await _until(call, "window.scanner && window.scanner.offlineReady && window.scanner.ready")
        if change:
            await call("Runtime.evaluate", expression=change, awaitPromise=True)
        served.server.stop()
        try:
            if before:
                await call("Page.addScriptToEvaluateOnNewDocument", source=before)
            await call("Page.reload")
            assert await _until(call, "window.scanner && window.scanner.ready")
            await _paste(call, text)
            await _until(call, FIRST_VERDICT)
            return (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]
        finally:
            served.server.start()

    return _drive(script)


def test_status_lists_past_their_age_claim_no_status(served: Served) -> None:
    """Lists downloaded three days ago (the limit is a day): genuine seal, status not checked, never "in force"."""
    state = _offline_paste(served, AGE_LISTS, None, served.texts["suspended"])
    first = state["verdicts"][0]
    assert (first["verdict"], first["unchecked"]) == ("valid", True), state
    assert "status not checked" in state["text"] and "too old" in state["text"], state["text"]
    assert "genuine and in force" not in state["text"]


def test_a_trust_list_past_its_age_or_tampered_is_refused(served: Served) -> None:
    """The device's clock ten days on: the trust list is older than its seven days; a kept trust list with one
    letter changed: its operator signature fails. Either way no verdict is claimed."""
    late = _offline_paste(served, None, LATER, served.texts["valid"])
    assert late["verdicts"][0]["verdict"] == "no_trust_list" and "older than allowed" in late["text"], late
    tampered = _offline_paste(served, TAMPER_TRUST_LIST, None, served.texts["valid"])
    assert tampered["verdicts"][0]["verdict"] == "no_trust_list", tampered
    assert "signature does not verify" in tampered["text"], tampered["text"]


def test_a_photo_and_pasted_text(served: Served) -> None:
    """A photo of the suspended certificate (file input), then pasted texts: the forged seal and a look-alike link."""

    async def script(call: Any) -> Any:
        await _open(call, f"{served.server.url}/scan")
        assert await _until(call, "window.scanner && window.scanner.ready")
        document = await call("DOM.getDocument")
        node = await call("DOM.querySelector", nodeId=document["root"]["nodeId"], selector="#photo")
        await call("DOM.setFileInputFiles", nodeId=node["nodeId"], files=[str(served.photos["suspended"])])
        assert await _until(call, FIRST_VERDICT, 30)
        await _shot(call, "photo-suspended")
        for case in ("forged", "lookalike"):
            await _paste(call, served.texts[case])
            await asyncio.sleep(1.0)
        return (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]

    state = _drive(script)
    seen = [(v["verdict"], v["source"]) for v in state["verdicts"] if not v["verdict"].startswith("registry")]
    assert seen == [("suspended", "photo"), ("invalid", "pasted"), ("not_official", "pasted")], state


def test_the_look_alike_rules_in_node() -> None:
    """web/scan/test/: homoglyphs behind punycode, added labels, changed letters, another scheme or port."""
    done = subprocess.run(["node", "--test", "web/scan/test/"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def test_the_scanner_is_served_with_a_strict_policy(served: Served) -> None:
    """Scripts from the service only; WebAssembly only on /scan; the worker's scope; nothing outside its files."""
    url = served.server.url
    page = httpx.get(f"{url}/scan")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "'wasm-unsafe-eval'" in policy and "unsafe-inline'" not in \
        policy.split("style-src")[0]  # fmt: skip
    assert "connect-src 'self'" in policy and page.headers["permissions-policy"] == "camera=(self)"
    assert "wasm-unsafe-eval" not in httpx.get(f"{url}/").headers["content-security-policy"]
    worker = httpx.get(f"{url}/scan/sw.js")
    assert worker.headers["service-worker-allowed"] == "/scan" and '"shell":["/scan/app/app.js"' in worker.text
    manifest = httpx.get(f"{url}/scan/manifest.webmanifest").json()
    assert manifest["start_url"] == "/scan" and {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    icon = httpx.get(f"{url}/scan/icon-512.png")
    assert icon.headers["content-type"] == "image/png" and icon.content.startswith(b"\x89PNG")
    wasm = httpx.get(f"{url}/scan/vendor/zxing-wasm/dist/reader/zxing_reader.wasm", headers={"Accept-Encoding": "br"})
    assert wasm.headers["content-type"] == "application/wasm" and wasm.headers["content-encoding"] == "br"
    again = httpx.get(f"{url}/scan/seal/verify.js", headers={"If-None-Match": httpx.get(f"{url}/scan/seal/verify.js")
                                                                .headers["etag"]})  # fmt: skip
    assert again.status_code == 304
    for path in ("/scan/vendor/zxing-wasm/package.json", "/scan/vendor/zxing-wasm/../../pyproject.toml",
                 "/scan/vendor/jsonld/lib/jsonld.js", "/scan/seal/test/vectors.test.js", "/scan/app/..%2Fsw.js",
                 "/scan/vendor/@noble/curves/%2e%2e/%2e%2e/package-lock.json", "/scan/icon-64.png",
                 "/scan/vendor/zxing-wasm/dist/full/zxing_full.wasm",
                 "/scan/vendor/zxing-wasm/dist/es/writer/index.js"):  # fmt: skip
        assert httpx.get(f"{url}{path}").status_code == 404, path


def test_the_page_is_installable_and_reads_right_to_left_in_arabic(served: Served) -> None:
    """Chromium finds nothing missing for installing the page as an app; the Arabic page runs right to left."""

    async def script(call: Any) -> Any:
        await _open(call, f"{served.server.url}/scan?lang=ar")
        assert await _until(call, "window.scanner && window.scanner.ready && window.scanner.offlineReady")
        errors = await call("Page.getInstallabilityErrors")
        await _paste(call, served.texts["revoked"])
        await _until(call, FIRST_VERDICT)
        await asyncio.sleep(0.5)
        await _shot(call, "revoked-ar")
        page = await call("Runtime.evaluate", returnByValue=True, expression="({dir: document.documentElement.dir, "
                          "text: document.getElementById('sentence').innerText, "
                          "overflow: document.documentElement.scrollWidth > window.innerWidth})")  # fmt: skip
        return errors.get("installabilityErrors"), page["result"]["value"]

    errors, page = _drive(script)
    assert errors == [], errors
    assert page["dir"] == "rtl" and "ملغاة" in page["text"] and not page["overflow"], page


def test_what_is_certified_reads_in_the_pages_language(served: Served) -> None:
    """A CCC exemption in Chinese: the quantity in the catalogue's unit, the market and the dates as Chinese
    writes them."""

    async def script(call: Any) -> Any:
        await _open(call, f"{served.server.url}/scan?lang=zh")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await call("Runtime.evaluate", expression="document.getElementById('online').checked = false")
        await _paste(call, served.texts["exemption"])
        await _until(call, FIRST_VERDICT)
        return (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]

    state = _drive(script)
    text = state["text"]
    begins = date.fromisoformat(CURRENT["ccc-exemption-samples"]["valid_from"])
    assert "24 件" in text and "中国" in text and f"{begins.year}年{begins.month}月{begins.day}日" in text, text


def test_nothing_about_a_code_leaves_the_device_with_registry_checking_off(served: Served) -> None:
    """Registry checking off (remembered on the device): checking codes makes no request at all."""

    async def script(call: Any) -> Any:
        await _open(call, f"{served.server.url}/scan")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await call("Runtime.evaluate", expression="document.getElementById('online').click()")
        await call("Network.enable")
        for case in ("valid", "revoked", "forged"):
            await _paste(call, served.texts[case])
            await asyncio.sleep(0.5)
        sent = [e["params"]["request"]["url"] for e in call.events if e["method"] == "Network.requestWillBeSent"]
        state = (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]
        remembered = await call(
            "Runtime.evaluate", expression="localStorage.getItem('scan.online')", returnByValue=True
        )
        return sent, state, remembered["result"]["value"]

    sent, state, remembered = _drive(script)
    assert [v["verdict"] for v in state["verdicts"]] == ["valid", "revoked", "invalid"], state
    assert sent == [] and remembered == "off", sent


def test_the_landing_page_and_the_verification_page_point_officers_to_the_scanner(served: Served) -> None:
    url = served.server.url
    landing = httpx.get(f"{url}/?lang=fr").text
    assert 'href="/scan?lang=fr"' in landing and "installez le scanner officiel" in landing
    segment = served.texts["valid"].rsplit("/", 1)[1]
    page = httpx.get(f"{url}/c/{segment}?lang=zh").text
    assert 'href="/scan?lang=zh"' in page and "请安装官方扫描器" in page
    scanner = httpx.get(f"{url}/scan?lang=ar")
    assert 'dir="rtl"' in scanner.text and scanner.headers["content-language"] == "ar"


def test_a_withdrawn_key_gives_one_verdict_the_registrys(served: Served) -> None:
    """A certificate whose key the operator withdrew: the device alone cannot vouch for it (the key is gone
    from the trust list), the registry can. One verdict leads, the registry's, with what happened to the
    key and what the holder should do; never a red "unknown issuer" above a green registry answer."""
    url, admin = served.server.url, {"Authorization": f"Bearer {served.admin}"}
    names = {"id": "stolen", "name": "密钥失窃认证", "name_en": "Stolen Key Certification"}
    made = httpx.post(f"{url}/api/v1/issuers", headers=admin, json=names).json()
    issuer = {"Authorization": f"Bearer {made['token']}"}
    certificate = httpx.post(f"{url}/api/v1/certificates", json=CURRENT["zhejiang-made-kettle"], headers=issuer,
                             timeout=60).json()  # fmt: skip
    withdrawn = httpx.post(f"{url}/api/v1/issuers/stolen/keys/{certificate['kid']}/withdraw", headers=admin)
    assert withdrawn.status_code == 200, withdrawn.text

    async def script(call: Any) -> Any:
        await _open(call, f"{url}/scan?lang=en")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await _paste(call, certificate["qr"])
        await _until(call, "window.scanner.verdicts.some(v => v.verdict.startsWith('registry'))", 30)
        await _shot(call, "withdrawn-key")
        return (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]

    state = _drive(script)
    assert [v["verdict"] for v in state["verdicts"]] == ["unknown_issuer", "registry:valid"], state
    text = state["text"]
    assert "genuine and in force" in text and "withdrawn by its issuer" in text, text
    assert "UNKNOWN ISSUER" not in text and "Do not accept" not in text, text


def test_a_certificate_its_lists_do_not_cover_is_never_green(served: Served) -> None:
    """An issuer whose first certificate came after the page downloaded the lists: its seal is genuine, but
    the device has no list that covers it: "status not checked", never "genuine and in force"."""
    url, admin = served.server.url, {"Authorization": f"Bearer {served.admin}"}
    names = {"id": "newcomer", "name": "新成员认证", "name_en": "Newcomer Certification"}
    made = httpx.post(f"{url}/api/v1/issuers", headers=admin, json=names).json()
    issuer = {"Authorization": f"Bearer {made['token']}"}
    issued: dict[str, str] = {}

    async def script(call: Any) -> Any:
        await _open(call, f"{url}/scan?lang=en")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await call("Runtime.evaluate", expression="document.getElementById('online').checked = false")
        certificate = httpx.post(f"{url}/api/v1/certificates", json=CURRENT["zhejiang-made-kettle"], headers=issuer,
                                 timeout=60).json()  # fmt: skip
        issued["qr"] = certificate["qr"]
        await _paste(call, certificate["qr"])
        await _until(call, FIRST_VERDICT)
        return (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]

    state = _drive(script)
    assert [v["verdict"] for v in state["verdicts"]] == ["valid"], state
    assert state["verdicts"][0]["unchecked"] is True, state
    text = state["text"]
    assert "status not checked" in text.lower() and "do not cover this certificate" in text, text
    assert "genuine and in force" not in text, text


def test_recognitions_are_checked_on_the_device_and_kept_for_offline(served: Served) -> None:
    """A partner body's recognition of the valid certificate: the registry's answer carries its seal, the page
    checks it on the device against the trust list (and says so), and checks it again with registry checking off;
    what the issuer only declared is said to be declared, not signed."""
    url, admin = served.server.url, {"Authorization": f"Bearer {served.admin}"}
    body = {"id": "sgs", "name": "通标标准技术服务有限公司", "name_en": "SGS", "country": "CH", "roles": ["recognise"],
            "remit": {"markets": ["DE", "FR"], "schemes": ["international-cooperation"]}}  # fmt: skip
    sgs = {"Authorization": f"Bearer {httpx.post(f'{url}/api/v1/issuers', json=body, headers=admin).json()['token']}"}
    certificate = httpx.post(f"{url}/api/v1/verify", json={"qr": served.texts["valid"]}).json()["registered"]["id"]
    made = httpx.post(
        f"{url}/api/v1/recognitions",
        headers=sgs,
        json={
            "certificate_id": certificate,
            "number": "SGS-DE-2026-0001",
            "markets": ["DE"],
            "basis": ["EN 12266-1:2012"],
        },
    )
    assert made.status_code == 201, made.text
    seen = "window.scanner && window.scanner.recognitions.length && window.scanner.recognitions"

    async def script(call: Any) -> Any:
        await _open(call, f"{url}/scan")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await _paste(call, served.texts["valid"])
        online = await _until(call, "window.scanner && window.scanner.recognitions.some(r => r.onDevice) && "
                                    "window.scanner.recognitions")  # fmt: skip
        await call("Runtime.evaluate", expression="document.getElementById('recognised').scrollIntoView()")
        await _shot(call, "recognitions")
        await call("Runtime.evaluate", expression="document.getElementById('online').checked = false; "
                                                  "window.scanner.recognitions = []")  # fmt: skip
        await _paste(call, served.texts["valid"])
        offline = await _until(call, seen)
        state = (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]
        return online, offline, state["text"], state["verdicts"]

    online, offline, text, verdicts = _drive(script)
    # The body's own status lists (its recognitions') are signed by its key, which the DID document and the
    # trust list name: the page reads them with the issuers' and still checks the certificate's status.
    assert verdicts[0]["verdict"] == "valid" and verdicts[0]["unchecked"] is False, verdicts
    assert any("/status/sgs/" in entry["url"] for entry in httpx.get(f"{url}/status/index.json").json()["lists"])
    expected = [{"body": "sgs", "verdict": "valid", "reason": "in_force", "onDevice": True}] + [
        {"body": None, "verdict": "declared", "reason": "not_signed", "onDevice": False}
        for _ in DEMO["international-cooperation-valve"]["recognitions"]
    ]
    strip = [{**r, "body": r["body"] if r["onDevice"] else None} for r in online]
    assert strip == expected, online
    assert [r["verdict"] for r in offline] == [r["verdict"] for r in expected], offline
    assert "Recognised for Germany by SGS (CH), their number SGS-DE-2026-0001" in text, text
    assert "(checked on this device)" in text and "not signed by" in text, text

    # The recognition's own link, as SGS prints it on its certificate: checked against the certificate before.
    link = made.json()["link"]

    async def links(call: Any) -> Any:
        await _open(call, f"{url}/scan")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await call("Runtime.evaluate", expression="document.getElementById('online').checked = false")
        for text in (link, served.texts["valid"], link, served.texts["exemption"], link):
            await _paste(call, text)
            await asyncio.sleep(0.5)
        state = (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]
        return [v["verdict"] for v in state["verdicts"]], state["text"]

    seen, text = _drive(links)
    assert seen == ["recognition:no_certificate", "valid", "recognition:valid", "valid", "recognition:invalid"], seen
    assert "is NOT of the certificate scanned before" in text, text

    # Offline, its own status comes from SGS's status lists (REC-11): kept as active, suspended since.
    async def suspended_offline(call: Any) -> Any:
        await _open(call, f"{url}/scan")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await _paste(call, served.texts["valid"])  # online: the recognitions kept, the registry says active
        assert await _until(call, "window.scanner.recognitions.some(r => r.onDevice && r.verdict === 'valid')")
        changed = httpx.post(f"{url}/api/v1/recognitions/{made.json()['id']}/suspend",
                             json={"reason": "investigation"}, headers=sgs)  # fmt: skip
        assert changed.status_code == 200
        await call("Page.reload")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await call("Runtime.evaluate", expression="document.getElementById('online').checked = false")
        await _paste(call, served.texts["valid"])
        return await _until(call, "window.scanner.recognitions.length && window.scanner.recognitions")

    offline_now = _drive(suspended_offline)
    assert offline_now[0]["verdict"] == "suspended" and offline_now[0]["reason"] == "suspended_by_body", offline_now


def test_the_logs_proof_is_checked_on_the_device_and_kept_for_offline(served: Served) -> None:
    """The registry's answer carries the issuance's proof; the page checks it against the trust list's log (this
    service has no witness: the operator's word alone, and the page says so), keeps it, and checks it again with
    registry checking off."""
    url = served.server.url
    answer = httpx.post(f"{url}/api/v1/verify", json={"qr": served.texts["valid"]}).json()
    assert answer["log"]["state"] == "under_witnessed" and answer["log"]["proof"], answer["log"]

    async def script(call: Any) -> Any:
        await _open(call, f"{url}/scan")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await _paste(call, served.texts["valid"])
        online = await _until(call, "window.scanner.log.length && window.scanner.log")
        await call("Runtime.evaluate", expression="document.getElementById('online').checked = false; "
                                                  "window.scanner.log = []")  # fmt: skip
        await _paste(call, served.texts["valid"])
        offline = await _until(call, "window.scanner.log.length && window.scanner.log")
        text = (await call("Runtime.evaluate", expression=STATE, returnByValue=True))["result"]["value"]["text"]
        return online, offline, text

    online, offline, text = _drive(script)
    assert online == ["under_witnessed"] and offline == ["under_witnessed"], (online, offline)
    assert f"Entered in the public transparency log as entry {answer['log']['index']}" in text, text


def test_codes_collected_for_a_declaration_become_a_signed_report(served: Served) -> None:
    """An officer turns on the list, pastes a declaration's codes (one twice, one of a look-alike host), names
    the declaration and makes the report: the service checks them all again in one batch, signs the report,
    and the page links it and its PDF."""

    async def script(call: Any) -> Any:
        await _open(call, f"{served.server.url}/scan?lang=en")
        assert await _until(call, "window.scanner && window.scanner.ready")
        await call("Runtime.evaluate", expression="localStorage.removeItem('scan.declaration');"
                                                  "document.getElementById('collect').click()")  # fmt: skip
        for case in ("valid", "revoked", "suspended", "forged", "lookalike", "valid"):
            count = (await call("Runtime.evaluate", expression="window.scanner.verdicts.length"))["result"]["value"]
            await _paste(call, served.texts[case])
            assert await _until(call, f"window.scanner.verdicts.length > {count}", 20)
        await call("Runtime.evaluate", expression="document.getElementById('reference').value = '2026-ZJ-0042';"
                                                  "document.getElementById('make-report').click()")  # fmt: skip
        made = await _until(call, "document.getElementById('report-state').dataset.report", 30)
        await call("Runtime.evaluate", expression="document.getElementById('declaration').scrollIntoView()")
        await _shot(call, "declaration-report")
        listed = (await call("Runtime.evaluate", expression="document.getElementById('list').innerText",
                             returnByValue=True))["result"]["value"]  # fmt: skip
        hrefs = "[...document.querySelectorAll('#report-state a')].map(a => a.getAttribute('href'))"
        links = (await call("Runtime.evaluate", returnByValue=True, expression=hrefs))["result"]["value"]
        return made, listed, links

    report_id, listed, links = _drive(script)
    assert listed.count("\n") == 3, listed  # four codes: the look-alike's never listed, the repeat once
    assert links == [f"/r/{report_id}", f"/r/{report_id}/pdf"]
    data = httpx.get(f"{served.server.url}/r/{report_id}", headers={"Accept": "application/json"}).json()
    assert data["genuine"] is True and data["report"]["reference"] == "2026-ZJ-0042"
    assert [i["verdict"] for i in data["report"]["items"]] == ["valid", "revoked", "suspended", "invalid"]
    pdf = httpx.get(f"{served.server.url}{links[1]}", timeout=60)
    assert pdf.headers["content-type"] == "application/pdf" and len(pdf.content) <= 100 * 1024
