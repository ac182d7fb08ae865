"""``verifier import`` against ``verifier serve`` rendering PDFs: a dry run that names three bad rows and saves
them marked, the fixed file imported with a PDF each, the same file again changing nothing, and an import
whose service is killed in the middle finishing when the service comes back, each certificate once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.helpers.catalogue import MAPPING, rows, xlsx
from tests.helpers.cli import run_cli
from tests.helpers.server import Server, serving


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    # One render worker: the other core is left to the tests beside it (their render deadlines are short).
    server, admin = serving(tmp_path, {"VERIFIER_JOB_LEASE": "3", "VERIFIER_RENDER_WORKERS": "1"})
    try:
        names = {"id": "zjcert", "name": "浙江省产品认证中心", "name_en": "Zhejiang Product Certification Centre"}
        made = httpx.post(f"{server.url}/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"}, json=names)
        env = {**server.env, "VERIFIER_URL": server.url, "VERIFIER_TOKEN": made.json()["token"]}
        yield server, env
    finally:
        server.stop()


def _numbers(server: Server, env: dict[str, str]) -> list[str]:
    headers = {"Authorization": f"Bearer {env['VERIFIER_TOKEN']}"}
    found: list[str] = []
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{server.url}/api/v1/certificates", params=params, headers=headers).json()
        found += [c["number"] for c in page["certificates"]]
        cursor = page["next_cursor"]
        if not cursor:
            return found


def test_a_dry_run_then_the_import_with_pdfs_then_again(served: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    server, env = served
    table = rows(24, datetime.now(UTC).date())
    broken = [list(r) for r in table]
    broken[2][4] = "91330100MA27XK3L0B"
    broken[7][10] = "85"
    broken[11][17] = "火星"
    (tmp_path / "mapping.json").write_text(json.dumps(MAPPING, ensure_ascii=False), "utf-8")
    (tmp_path / "broken.xlsx").write_bytes(xlsx(broken))
    marked = tmp_path / "marked.xlsx"
    dry = run_cli("import", tmp_path / "broken.xlsx", "--mapping", tmp_path / "mapping.json", "--annotated", marked,
                  "--quiet", env=env)  # fmt: skip
    assert dry.returncode == 1, dry.stderr
    assert "24 rows, 21 ready, 0 registered already, 3 with problems" in dry.stderr
    assert "row 4, E4 (统一社会信用代码)" in dry.stderr and "row 9, K9 (HS编码)" in dry.stderr
    assert "row 13, R13 (出口市场)" in dry.stderr
    assert marked.stat().st_size > 1000 and _numbers(server, env) == []
    (tmp_path / "fixed.xlsx").write_bytes(xlsx(table))
    done = run_cli("import", tmp_path / "fixed.xlsx", "--mapping", tmp_path / "mapping.json", "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    assert "imported 24 certificate(s)" in done.stderr
    assert sorted(_numbers(server, env)) == sorted(r[0] for r in table)
    headers = {"Authorization": f"Bearer {env['VERIFIER_TOKEN']}"}
    first = httpx.get(f"{server.url}/api/v1/certificates", params={"number": table[0][0]}, headers=headers).json()
    pdf = httpx.get(first["certificates"][0]["pdf_url"], headers=headers)
    assert pdf.content.startswith(b"%PDF-")
    again = run_cli("import", tmp_path / "fixed.xlsx", "--mapping", tmp_path / "mapping.json", "--quiet", env=env)
    assert again.returncode == 0 and "0 ready, 24 registered already" in again.stderr
    assert len(_numbers(server, env)) == 24


def test_an_import_killed_in_the_middle_finishes_when_the_service_is_back(
    served: tuple[Server, dict[str, str]],
) -> None:
    server, env = served
    table = rows(260, datetime.now(UTC).date())
    headers = {"Authorization": f"Bearer {env['VERIFIER_TOKEN']}"}
    checked = httpx.post(f"{server.url}/api/v1/imports", headers=headers, timeout=120,
                         files={"file": ("catalogue.xlsx", xlsx(table))},
                         data={"mapping": json.dumps(MAPPING, ensure_ascii=False)}).json()  # fmt: skip
    assert checked["summary"]["ready"] == 260
    started = httpx.post(f"{server.url}/api/v1/imports/{checked['id']}/start", headers=headers, timeout=60)
    assert started.status_code == 202
    deadline = time.monotonic() + 120
    while httpx.get(checked["url"], headers=headers).json()["done"] < 30 and time.monotonic() < deadline:
        time.sleep(0.2)
    server.kill()  # in the middle of a job: its certificates are not registered, its lease runs out
    server.start()
    deadline = time.monotonic() + 600
    found = httpx.get(checked["url"], headers=headers).json()
    while found["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        found = httpx.get(checked["url"], headers=headers).json()
    assert (found["state"], found["done"], found["total"]) == ("succeeded", 260, 260), found
    numbers = _numbers(server, env)
    assert len(numbers) == 260 and len(set(numbers)) == 260
