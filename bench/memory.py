"""The service's memory: at rest, after a batch of certificates with PDFs, after 1,000 verifications.

    .venv/bin/python bench/memory.py [--verifications 1000] [--url URL --admin-token TOKEN]
    (or: make bench-memory)

Without ``--url``, ``verifier serve`` is started on a temporary folder (SQLite, PDFs on) and measured
from /proc: the server process alone and with its worker processes (the PDF render pool starts on the
first issuance). With ``--url`` (for example the container from ``make image-check``), the figure is
the server's own ``process_resident_memory_bytes`` from its /metrics. The verifications are scans of
the demo certificates' links, as a phone (the HTML page) or a customs system (JSON) makes them,
with one in ten a forged code. One client sends them all, so the service under test must run without
the per-client rate limit (``VERIFIER_RATE_LIMIT=0``; the started one does).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "verifier" / "demo"  # the demo certificates
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def _metrics(admin: str) -> dict[str, str]:
    """The client's own headers: the operator's token, which /metrics accepts (the other calls set theirs)."""
    return {"Authorization": f"Bearer {admin}"}


def metrics_rss(client: httpx.Client) -> int:
    """The server's resident bytes as its /metrics reports them."""
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "process_resident_memory_bytes":
                return int(sample.value)
    raise RuntimeError("/metrics has no process_resident_memory_bytes")


def run(
    client: httpx.Client, admin: str, verifications: int, measure: dict[str, object], idle: float | None = None
) -> list[tuple[str, str]]:
    """Issue the demo certificates, then scan them; ``measure`` takes the figures at each step."""
    rows: list[tuple[str, str]] = []
    measure["at rest"] = snapshot(client, measure)
    issuer_id = "bench" + secrets.token_hex(3)
    made = client.post("/api/v1/issuers", json={"id": issuer_id, "name": "基准", "name_en": "Bench"},
                       headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
    made.raise_for_status()
    headers = {"Authorization": f"Bearer {made.json()['token']}"}
    batch = []
    for path in sorted(DEMO.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        data["number"] = f"{data['number']}-{secrets.token_hex(2).upper()}"[:64]
        batch.append(data)
    # A batch renders in the pool of worker processes; one certificate alone renders in the server.
    answer = client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=headers, timeout=300)
    answer.raise_for_status()
    certificates = answer.json()["certificates"]
    measure[f"after a batch of {len(certificates)} with PDFs"] = snapshot(client, measure)
    codes = [c["qr"].rsplit("/", 1)[1] for c in certificates]
    verdicts: dict[str, int] = {}
    for i in range(verifications):
        code = codes[i % len(codes)]
        if i % 10 == 9:
            code = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
        if i % 2:
            answer = client.get(f"/c/{code}", headers={"Accept": "application/json"})
            answer.raise_for_status()
            verdict = answer.json()["verdict"]
        else:
            answer = client.get(f"/c/{code}")
            answer.raise_for_status()
            verdict = "page"
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    measure[f"after {verifications} verifications"] = snapshot(client, measure)
    one = {**batch[0], "number": f"{batch[0]['number']}-1"[:64]}
    client.post("/api/v1/certificates", json=one, headers=headers, timeout=120).raise_for_status()
    measure["after one more issued alone"] = snapshot(client, measure)
    if idle is not None:  # the render processes stop after VERIFIER_RENDER_IDLE seconds without a batch
        time.sleep(idle + 2)
        measure["render pool stopped (idle)"] = snapshot(client, measure)
    rows.append(("answers", ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))))
    return rows


def snapshot(client: httpx.Client, measure: dict[str, object]) -> tuple[int, int]:
    """(server alone, server with its workers) in bytes; both the /metrics figure when remote."""
    server = measure.get("_pid")
    alone = metrics_rss(client)
    if isinstance(server, int):
        from issue import _rss_tree

        return alone, _rss_tree(server)
    return alone, alone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verifications", type=int, default=1000)
    parser.add_argument("--url", help="measure this running service instead of starting one")
    parser.add_argument("--admin-token", help="its operator token (with --url)")
    args = parser.parse_args()
    measure: dict[str, object] = {}
    if args.url:
        with httpx.Client(base_url=args.url, timeout=30, headers=_metrics(args.admin_token)) as client:
            rows = run(client, args.admin_token, args.verifications, measure)
    else:
        from tests.helpers.server import Server

        home = Path(tempfile.mkdtemp(prefix="verifier-bench-memory-"))
        admin = secrets.token_urlsafe(32)
        env = {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
               "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_RATE_LIMIT": "0", "VERIFIER_RENDER_IDLE": "5"}  # fmt: skip
        server = Server(home, env)
        server.start()
        try:
            assert server.process is not None
            measure["_pid"] = server.process.pid
            with httpx.Client(base_url=server.url, timeout=30, headers=_metrics(admin)) as client:
                rows = run(client, admin, args.verifications, measure, idle=5.0)
        finally:
            server.stop()
            shutil.rmtree(home, ignore_errors=True)
    print(f"{'moment':<34} {'server MiB':>10} {'with workers MiB':>17}")
    for moment, figures in measure.items():
        if moment.startswith("_") or not isinstance(figures, tuple):
            continue
        alone, tree = figures
        print(f"{moment:<34} {alone / 2**20:>10.1f} {tree / 2**20:>17.1f}")
    for name, text in rows:
        print(f"{name}: {text}")


if __name__ == "__main__":
    main()
