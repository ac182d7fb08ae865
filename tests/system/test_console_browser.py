"""The console in a real browser (Debian's Chromium over the DevTools protocol), against a served process.

A clerk takes an invitation made by ``verifier user invite``, signs in, searches, suspends two certificates
by a pasted list and downloads a PDF; an auditor sees no form that changes anything and a post without its
form token is refused; a clerk cannot open the people page; a cookie kept from before sign-out opens nothing.
Every page is shot at a phone's and a desktop's width (tests/artefacts/console-*.png) and none overflows.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import DEMO
from tests.helpers.browser import Browser
from tests.helpers.cli import run_cli
from tests.helpers.server import Server, serving

ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"
PASSWORD = "correct horse battery staple"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    server, admin = serving(tmp_path_factory.mktemp("console"))
    try:
        names = {"id": "zjcert", "name": "浙江省产品认证中心", "name_en": "Zhejiang Product Certification Centre"}
        made = httpx.post(f"{server.url}/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"}, json=names)
        issuer = {"Authorization": f"Bearer {made.json()['token']}"}
        batch = [dict(DEMO["zhejiang-made-kettle"], number=f"ZJM-2026-{n:04d}") for n in range(1, 4)]
        batch.append(DEMO["international-cooperation-valve"])
        issued = httpx.post(f"{server.url}/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer,
                            timeout=120)  # fmt: skip
        assert issued.status_code == 201, issued.text
        links = {}
        people = (("clerk", "clerk@zjcert.cn"), ("auditor", "audit@zjcert.cn"), ("admin", "admin@zjcert.cn"),
                  ("clerk", "locked@zjcert.cn"))  # fmt: skip
        for role, email in people:
            ran = run_cli("user", "invite", "zjcert", email, "--name", role.title(), "--role", role, env=server.env)
            assert ran.returncode == 0, ran.stderr
            links[email.split("@")[0]] = re.search(r"(http://\S+/console/welcome#\S+)", ran.stdout).group(1)  # type: ignore[union-attr]
        yield server, links
    finally:
        server.stop()


async def _load(call: Any, url: str) -> None:
    await call("Page.navigate", url=url)
    await _settle(call)


async def _settle(call: Any) -> None:
    await asyncio.sleep(0.15)
    for _ in range(200):
        state = await call("Runtime.evaluate", expression="document.readyState", returnByValue=True)
        if state["result"]["value"] == "complete":
            return
        await asyncio.sleep(0.05)


async def _eval(call: Any, expression: str) -> Any:
    answer = await call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
    return answer.get("result", {}).get("value")


async def _submit(call: Any, fields: dict[str, str], form: str = "main form") -> None:
    """Fill ``fields`` of the page's ``form`` (a CSS selector) and press its button, as a person would."""
    for name, value in fields.items():
        await _eval(
            call,
            f"""(() => {{ const f = document.querySelector({form!r}).elements[{name!r}];
            if (f.type === 'checkbox') f.checked = true; else f.value = {value!r};
            f.dispatchEvent(new Event('change')); }})()""",
        )
    await _eval(call, f"document.querySelector({form!r}).querySelector('button[type=submit]').click()")
    await _settle(call)


async def _shoot(call: Any, name: str) -> None:
    """The page at a phone's and a desktop's width: shot, and checked for a horizontal overflow."""
    ARTEFACTS.mkdir(exist_ok=True)
    for size, (width, height) in SIZES.items():
        await call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                   mobile=size == "phone")  # fmt: skip
        await asyncio.sleep(0.1)
        overflow = await _eval(call, "document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, size, overflow)
        shot = await call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        (ARTEFACTS / f"console-{name}-{size}.png").write_bytes(base64.b64decode(shot["data"]))
    await call("Emulation.clearDeviceMetricsOverride")


async def _welcome(call: Any, link: str, email: str) -> None:
    await _load(call, link)
    assert await _eval(call, "document.getElementById('invitation').value.length") > 20  # from the #fragment
    assert "#" not in await _eval(call, "location.href")  # and gone from the address bar
    await _submit(call, {"password": PASSWORD, "again": PASSWORD})
    assert "Your password is set" in await _eval(call, "document.body.innerText")
    await _load(call, link.split("/console/")[0] + "/console/sign-in")
    await _submit(call, {"email": email, "password": PASSWORD})


def test_a_clerk_searches_suspends_two_by_a_pasted_list_and_downloads_a_pdf(
    served: tuple[Server, dict[str, str]], browser: Browser
) -> None:
    server, links = served

    async def script(call: Any) -> None:
        await call("Page.enable")
        await call("Network.enable")
        await _welcome(call, links["clerk"], "clerk@zjcert.cn")
        assert (await _eval(call, "location.pathname")) == "/console/certificates"
        await _shoot(call, "certificates")
        await _load(call, f"{server.url}/console/issue")
        await _submit(call, {"holder.name": "浙江恒达电器有限公司", "holder.credit_code": "91330100MA27XK3L0B",
                             "products.0.models": "HD-1701, HD-1702"}, "form.issue-form")  # fmt: skip
        assert "check character" in await _eval(call, "document.body.innerText")
        await _shoot(call, "issue-errors")
        await _load(call, f"{server.url}/console/certificates")
        await _submit(call, {"q": "zjm-2026"}, "form.search")
        text = await _eval(call, "document.body.innerText")
        assert "3 found" in text and "ZJM-2026-0002" in text
        await _load(call, f"{server.url}/console/status")
        await _submit(call, {"numbers": "ZJM-2026-0001\nZJM-2026-0002\nZJM-2099-0001", "action": "suspend",
                             "reason": "investigation"}, "form.status-form")  # fmt: skip
        text = await _eval(call, "document.body.innerText")
        assert "Will change (2)" in text and "ZJM-2099-0001" in text
        await _shoot(call, "status-confirm")
        await _eval(call, "document.querySelector('main form button[type=submit]').click()")
        await _settle(call)
        assert "Changed: 2." in await _eval(call, "document.body.innerText")
        await _load(call, f"{server.url}/console/certificates?status=suspended")
        assert "2 found" in await _eval(call, "document.body.innerText")
        await _eval(call, "document.querySelector('table.list a').click()")
        await _settle(call)
        await _shoot(call, "certificate")
        pdf = await _eval(
            call,
            """fetch(document.querySelector('a[href$="/pdf"]').href)
            .then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 5))))""",
        )
        assert pdf == "%PDF-"
        assert (await _eval(call, "fetch('/console/people').then(r => r.status)")) == 403  # a clerk's is not that
        kept = (await call("Network.getCookies"))["cookies"]
        await _eval(call, "document.querySelector('form.who button').click()")
        await _settle(call)
        assert (await _eval(call, "location.pathname")) == "/console/sign-in"
        await _shoot(call, "sign-in")
        for cookie in kept:  # the cookie from before sign-out, put back
            await call("Network.setCookie", **{k: cookie[k] for k in ("name", "value", "domain", "path")})
        await _load(call, f"{server.url}/console/certificates")
        assert (await _eval(call, "location.pathname")) == "/console/sign-in"

    browser.drive(script)


def test_an_auditor_reads_and_a_post_without_its_form_token_is_refused(
    served: tuple[Server, dict[str, str]], browser: Browser
) -> None:
    server, links = served

    async def script(call: Any) -> None:
        await call("Page.enable")
        await _welcome(call, links["audit"], "audit@zjcert.cn")
        await _eval(call, "document.querySelector('table.list a').click()")
        await _settle(call)
        assert await _eval(call, "document.querySelectorAll('form.status-form').length") == 0
        path = await _eval(call, "location.pathname")
        body = "action=revoke&reason=fraud&confirm=yes"
        refused = await _eval(
            call,
            f"""fetch('{path}/status', {{method: 'POST', body: '{body}',
            headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}}}).then(r => r.status)""",
        )
        assert refused == 403
        token = await _eval(call, "document.querySelector('form.who input[name=form]').value")
        as_auditor = await _eval(
            call,
            f"""fetch('{path}/status', {{method: 'POST', body: '{body}&form={token}',
            headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}}}).then(r => r.status)""",
        )
        assert as_auditor == 403  # the right token, the wrong role
        await _load(call, f"{server.url}/console/certificates?lang=zh")
        assert "证书编号" in await _eval(call, "document.body.innerText")
        await _shoot(call, "certificates-zh")
        await _load(call, f"{server.url}/console/certificates?lang=ar")
        assert await _eval(call, "document.documentElement.dir") == "rtl"
        await _shoot(call, "certificates-ar")

    browser.drive(script)


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A service that registers without rendering (the import's subject is the rows, not their PDFs)."""
    server, _ = serving(tmp_path_factory.mktemp("bulk"), {"VERIFIER_RENDER_PDFS": "0"})
    try:
        ran = run_cli("issuer", "create", "zjcert", "--name", "浙江省产品认证中心", "--name-en", "Zhejiang Cert",
                      env=server.env)  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        ran = run_cli(
            "user", "invite", "zjcert", "clerk@zjcert.cn", "--name", "Clerk", "--role", "clerk", env=server.env
        )
        yield server, re.search(r"(http://\S+/console/welcome#\S+)", ran.stdout).group(1)  # type: ignore[union-attr]
    finally:
        server.stop()


async def _upload(call: Any, path: Path, mapping: str) -> None:
    """Choose ``path`` in the page's file input (as a person picking it), give the mapping, and check."""
    root = await call("DOM.getDocument")
    found = await call("DOM.querySelector", nodeId=root["root"]["nodeId"], selector="input[type=file]")
    await call("DOM.setFileInputFiles", nodeId=found["nodeId"], files=[str(path)])
    await _submit(call, {"mapping": mapping}, "form.import-form")


def test_a_clerk_checks_500_rows_fixes_three_imports_them_and_suspends_two(
    bulk: tuple[Server, str], browser: Browser, tmp_path: Path
) -> None:
    import json
    from datetime import UTC, datetime

    from tests.helpers.catalogue import MAPPING, rows, xlsx

    server, link = bulk
    table = rows(500, datetime.now(UTC).date())
    broken = [list(r) for r in table]
    broken[41][4] = "91330100MA27XK3L0B"  # row 43: a wrong check character
    broken[199][16] = "2001-01-01"  # row 201: ends before it starts
    broken[449][17] = "火星"  # row 451: no such market
    (tmp_path / "catalogue.xlsx").write_bytes(xlsx(broken))
    (tmp_path / "catalogue-fixed.xlsx").write_bytes(xlsx(table))
    mapping = json.dumps(MAPPING, ensure_ascii=False)

    async def script(call: Any) -> None:
        await call("Page.enable")
        await call("DOM.enable")
        await _load(call, f"{server.url}/console/sign-in?lang=en")  # the language an earlier test chose is kept
        await _welcome(call, link, "clerk@zjcert.cn")
        await _load(call, f"{server.url}/console/imports")
        await _shoot(call, "imports")
        await _upload(call, tmp_path / "catalogue.xlsx", mapping)
        text = await _eval(call, "document.body.innerText")
        assert "500 rows, 497 ready, 3 with problems" in text, text[:2000]
        cells = await _eval(
            call, "[...document.querySelectorAll('table.problems tbody tr')].map(r => r.cells[1].innerText)"
        )
        assert cells == ["E43", "Q201", "R451"], cells
        await _shoot(call, "import-problems")
        marked = await _eval(
            call,
            """fetch(document.querySelector('a[href$="annotated.xlsx"]').href)
            .then(r => r.arrayBuffer()).then(b => b.byteLength)""",
        )
        assert marked > 10_000
        assert await _eval(call, "document.querySelectorAll('form[action$=\"/start\"]').length") == 0
        await _load(call, f"{server.url}/console/imports")
        await _upload(call, tmp_path / "catalogue-fixed.xlsx", mapping)
        assert "500 rows, 500 ready, 0 with problems" in await _eval(call, "document.body.innerText")
        await _eval(call, "document.querySelector('form[action$=\"/start\"] button').click()")
        await _settle(call)
        for _ in range(300):
            if "500 certificates imported." in (await _eval(call, "document.body.innerText") or ""):
                break
            await asyncio.sleep(0.5)
            await _settle(call)
        assert "500 certificates imported." in await _eval(call, "document.body.innerText")
        await _shoot(call, "import-done")
        await _load(call, f"{server.url}/console/certificates?q={table[9][0]}")
        assert "1 found" in await _eval(call, "document.body.innerText")
        await _load(call, f"{server.url}/console/status")
        await _submit(call, {"numbers": f"{table[0][0]}, {table[1][0]}", "action": "suspend",
                             "reason": "investigation"}, "form.status-form")  # fmt: skip
        await _eval(call, "document.querySelector('main form button[type=submit]').click()")
        await _settle(call)
        assert "Changed: 2." in await _eval(call, "document.body.innerText")

    browser.drive(script)


def test_an_admin_invites_a_clerk_and_twenty_wrong_passwords_lock_an_account(
    served: tuple[Server, dict[str, str]], browser: Browser
) -> None:
    import sqlite3

    server, links = served

    async def script(call: Any) -> None:
        await call("Page.enable")
        await _load(call, f"{server.url}/console/sign-in?lang=en")
        await _welcome(call, links["admin"], "admin@zjcert.cn")
        assert (await _eval(call, "location.pathname")) == "/console/certificates"
        await _load(call, f"{server.url}/console/people")
        await _submit(call, {"email": "new@zjcert.cn", "name": "新同事", "role": "clerk"}, "form.invite")
        link = await _eval(call, "document.querySelector('input.copy').value")
        assert link.startswith(f"{server.url}/console/welcome#")
        await _shoot(call, "people")
        await _load(call, f"{server.url}/console/letterhead")
        await _submit(call, {"contact": "+86 571 8765 4321", "signatory": "李伟"}, "form.import-form")
        assert "李伟" in await _eval(call, "document.body.innerHTML")
        await _shoot(call, "letterhead")
        await _load(call, f"{server.url}/console/jobs")
        await _shoot(call, "jobs")
        await _eval(call, "document.querySelector('form.who button').click()")
        await _settle(call)
        await _load(call, links["locked"].split("/console/")[0] + "/console/sign-in")
        await _welcome(call, links["locked"], "locked@zjcert.cn")
        await _eval(call, "document.querySelector('form.who button').click()")
        await _settle(call)
        for _ in range(20):
            await _load(call, f"{server.url}/console/sign-in")
            await _submit(call, {"email": "locked@zjcert.cn", "password": "not the password, twenty times"})
        await _load(call, f"{server.url}/console/sign-in")
        await _submit(call, {"email": "locked@zjcert.cn", "password": PASSWORD})  # the right one, too late
        assert (await _eval(call, "location.pathname")) == "/console/sign-in"
        assert "or the account is locked" in await _eval(call, "document.body.innerText")

    browser.drive(script)
    with sqlite3.connect(server.home / "data" / "verifier.db") as db:
        actions = [row[0] for row in db.execute("SELECT action FROM audit_log WHERE action LIKE 'user.%'")]
    assert actions.count("user.locked") == 1 and actions.count("user.sign_in_refused") >= 21
