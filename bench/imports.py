"""The import of the scheme's whole catalogue (issue 30): its dry run, the import with PDFs, its memory.

    .venv/bin/python bench/imports.py [--zhejiang 6129 --cooperation 549 --exemption 13033] [--baseline 200]
    (or: make bench-import; about 40 minutes on 2 cores)

The catalogue is made from the reference certificates with variation (tests/helpers/catalogue.py): 6,129
"Zhejiang Made", 549 international-cooperation and 13,033 CCC-exemption rows, some expired, suspended or
withdrawn, as an XLSX of Chinese columns. ``verifier serve`` (SQLite, PDFs rendered on every core) is given:
first a job of ``--baseline`` certificates through ``POST /api/v1/jobs`` (the issuance rate of the same
machine in the same run: the baseline), then the catalogue through ``POST /api/v1/imports`` (the dry run,
timed from the upload to its answer; goal < 60 s) and ``/start`` (timed until every certificate is
registered with its PDF; goal < 1 hour). The memory of the service and all its children (render workers,
the spreadsheet reader) is sampled every half second; goal ≤ 1 GiB at the peak.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
# bench/issue.py's bare one-core WeasyPrint rate on the machine the baselines were measured on (10.4/s through a
# job on 2 cores was 2.3 × it): a run here scales its time by its own bare rate to that machine's.
REFERENCE_BARE = 4.5
CATALOGUE = 19_711
sys.path.insert(0, str(REPO))

from bench.issue import _rss_tree, bare_rate  # noqa: E402
from tests.helpers import DEMO  # noqa: E402
from tests.helpers.catalogue import MAPPING, catalogue, xlsx  # noqa: E402
from tests.helpers.server import serving  # noqa: E402


class Sampler(threading.Thread):
    """The peak resident memory of a process and all its descendants while it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _rss_tree(self.pid))
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--zhejiang", type=int, default=6_129)
    parser.add_argument("--cooperation", type=int, default=549)
    parser.add_argument("--exemption", type=int, default=13_033)
    parser.add_argument("--baseline", type=int, default=200)
    parser.add_argument("--bare", type=int, default=20)
    args = parser.parse_args()
    today = datetime.now(UTC).date()
    rows = catalogue(today, {"zhejiang-made": args.zhejiang, "international-cooperation": args.cooperation,
                             "ccc-exemption": args.exemption})  # fmt: skip
    data = xlsx(rows)
    bare = bare_rate(args.bare)
    print(f"bare WeasyPrint on one core: {bare:.2f} documents/s", flush=True)
    print(f"catalogue: {len(rows):,} rows, {len(data) / 1e6:.1f} MB as XLSX", flush=True)
    server, admin = serving(Path(tempfile.mkdtemp(prefix="bench-import-")), timeout=60)
    assert server.process is not None
    sampler = Sampler(server.process.pid)
    sampler.start()
    try:
        names = {"id": "zjcert", "name": "浙江省产品认证中心", "name_en": "Zhejiang Product Certification Centre"}
        made = httpx.post(f"{server.url}/api/v1/issuers", headers={"Authorization": f"Bearer {admin}"}, json=names)
        headers = {"Authorization": f"Bearer {made.json()['token']}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=600) as client:
            batch = [dict(DEMO["zhejiang-made-kettle"], number=f"BASE-{n:05d}") for n in range(args.baseline)]
            started = time.monotonic()
            job = client.post("/api/v1/jobs", json={"certificates": batch}).json()
            while job["state"] in ("queued", "running"):
                time.sleep(0.5)
                job = client.get(f"/api/v1/jobs/{job['id']}").json()
            base_rate = args.baseline / (time.monotonic() - started)
            print(
                f"baseline: a job of {args.baseline} through /api/v1/jobs: {base_rate:.2f} certificates/s", flush=True
            )
            started = time.monotonic()
            checked = client.post("/api/v1/imports", files={"file": ("catalogue.xlsx", data)},
                                  data={"mapping": json.dumps(MAPPING, ensure_ascii=False)})  # fmt: skip
            checked.raise_for_status()
            dry = time.monotonic() - started
            found = checked.json()
            print(f"dry run: {dry:.1f} s for {found['summary']['rows']:,} rows (goal < 60 s); {found['summary']}",
                  flush=True)  # fmt: skip
            started = time.monotonic()
            client.post(f"/api/v1/imports/{found['id']}/start").raise_for_status()
            last = 0.0
            while True:
                state = client.get(f"/api/v1/imports/{found['id']}").json()
                if state["state"] != "running":
                    break
                if time.monotonic() - last > 60:
                    last = time.monotonic()
                    print(f"  {state['done']:,} of {state['total']:,} after {last - started:.0f} s", flush=True)
                time.sleep(1)
            took = time.monotonic() - started
            rate = state["total"] / took
            print(f"import: {state['state']}, {state['total']:,} certificates with PDFs in {took / 60:.1f} min "
                  f"(goal < 60 min): {rate:.2f}/s, {rate / base_rate:.2f} × the baseline's", flush=True)  # fmt: skip
            if state["total"] != CATALOGUE:  # a part of it: the whole at this rate
                whole = CATALOGUE / rate / 60
                print(f"  the whole catalogue ({CATALOGUE:,}) at this rate: {whole:.1f} min", flush=True)
                took = CATALOGUE / rate
            reference = took * bare / REFERENCE_BARE
            print(f"  the whole catalogue on the reference machine (bare WeasyPrint {REFERENCE_BARE}/s on one core, "
                  f"here {bare:.2f}/s): {reference / 60:.1f} min", flush=True)  # fmt: skip
    finally:
        sampler.running = False
        sampler.join()
        server.stop()
    print(f"memory: the service and its children peaked at {sampler.peak / 2**20:.0f} MiB (goal ≤ 1,024 MiB)")


if __name__ == "__main__":
    main()
