"""The transparency log's figures (issue 29), each beside its baseline measured in the same run.

    .venv/bin/python bench/log.py [--job 100] [--count 10000] [--rounds 5] [--rate 5] [--for 30] [--seconds 10]
    (or: make bench-log)

1. issuance, for this code and for the commit before the log (a git worktree of ``BEFORE``), alternating
   ``--rounds`` times (the median and the best round of each): (a) a job of ``--job`` certificates with
   PDFs through ``verifier serve``, as issuers issue (the baseline's 10.4/s); (b) the issuance path
   without PDFs in process (seal, credential, status index, the store; SQLite, batches of 100), where
   the log's entry weighs the most, a PDF taking ~100 ms. Goal: within 5 %.
2. size: the log's bytes per 10,000 issuances (the entries, the tiles, the checkpoints, their indexes:
   SQLite's dbstat) after ``--count`` issuances and one checkpoint.
3. witnessed: ``verifier serve`` with PDFs, two witnesses (``verifier witness run --every 1``, each its own
   process and key), certificates issued one by one at ``--rate`` per second for ``--for`` seconds: from
   each issuance's answer to the first ``GET /api/v1/log`` whose ``witnessed_size`` covers its entry
   (polled every 50 ms): p50, p99, max. Goal: p99 ≤ 10 s. The proof's size with two witnesses, and what
   it adds to the PDF (``?log_proof=true``). Goal: ≤ 2 KB.
4. tiles: wrk on a full tile, an entry bundle and the checkpoint of the 10,000-issuance log, beside a
   bare endpoint answering the same 8 KB of static bytes, one uvicorn worker (bench/verify_http.py's).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.append(str(REPO))  # tests.helpers

from verify_http import DEMO, bench_registry, free_port, wrk  # noqa: E402

BEFORE = "29ea9ab"  # the last commit before the log (e659f2f added it)
BATCH = 100


def fill(home: Path, count: int) -> dict[str, Any]:
    """Issue ``count`` certificates in batches (no PDFs) with whichever ``verifier`` is on the path: the rate."""
    from verifier.issuing.recipe import issue

    registry, engine, issuer, templates, now, public_url = bench_registry(home)
    templates = [t for t in templates if t.valid_until > now.date()]
    batches = [
        [templates[i % len(templates)].model_copy(update={"number": f"L-{i:08d}"}) for i in range(s, s + BATCH)]
        for s in range(0, count, BATCH)
    ]
    issue(registry, issuer, batches[0], public_url, now)  # warm: the first list, the caches
    started = time.perf_counter()
    for batch in batches[1:]:
        issue(registry, issuer, batch, public_url, now)
    rate = (count - BATCH) / (time.perf_counter() - started)
    logged = hasattr(registry, "log")
    if logged:
        from verifier.ledger.log import Ledger

        Ledger(registry, public_url).integrate(now)
    engine.dispose()
    return {"rate": rate, "logged": logged}


def _fill_in(home: Path, count: int, pythonpath: str | None) -> dict[str, Any]:
    env = {**os.environ, "VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
           "VERIFIER_PUBLIC_URL": "https://verify.zhejiang-made.example"}  # fmt: skip
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    done = subprocess.run([sys.executable, __file__, "--fill", str(home), str(count)], env=env, check=True,
                          capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _compare(what: str, rates: dict[str, list[float]]) -> None:
    """One line: the median and the best round of each code, and the ratio of each."""
    old, new = statistics.median(rates["before"]), statistics.median(rates["now"])
    best_old, best_new = max(rates["before"]), max(rates["now"])
    print(f"{what}, {len(rates['now'])} rounds: before the log {old:,.1f}/s, with it {new:,.1f}/s: {new / old:.3f} × "
          f"median ({(new / old - 1) * 100:+.1f} %), {best_new / best_old:.3f} × best round "
          f"({(best_new / best_old - 1) * 100:+.1f} %; goal ≥ -5 %)")  # fmt: skip
    listed = {name: [round(r, 1) for r in values] for name, values in rates.items()}
    print(f"    rounds before {listed['before']}, with the log {listed['now']}")


def jobs(size: int, rounds: int, home: Path, before: Path) -> None:
    """Part 1a: a job of ``size`` certificates with PDFs through ``verifier serve`` of each code, alternating."""
    from issue import _follow

    from tests.helpers.server import Server
    from tests.helpers.service import register_issuer

    rates: dict[str, list[float]] = {"before": [], "now": []}
    certificates = [json.loads(p.read_text("utf-8")) for p in sorted(DEMO.glob("*.json"))]
    current = [c for c in certificates if c["valid_until"] > time.strftime("%Y-%m-%d")]
    for round_ in range(rounds):
        for name, path in (("before", str(before)), ("now", None)):
            folder = home / f"job-{name}-{round_}"
            folder.mkdir()
            admin = secrets.token_urlsafe(32)
            env = {"VERIFIER_DATA_DIR": str(folder / "data"), "VERIFIER_KEYS_DIR": str(folder / "keys"),
                   "VERIFIER_ADMIN_TOKEN": admin, **({"PYTHONPATH": path} if path else {})}  # fmt: skip
            server = Server(folder, env)
            server.start(timeout=120)
            try:
                issuer = register_issuer(httpx.post, admin, server.url)
                with httpx.Client(base_url=server.url, headers=issuer, timeout=60) as client:
                    warm = [dict(current[i % len(current)], number=f"WARM-{i}") for i in range(8)]
                    _follow(client, client.post("/api/v1/jobs", json={"certificates": warm}).json()["id"])
                    batch = [dict(current[i % len(current)], number=f"J-{i:05d}") for i in range(size)]
                    started = time.monotonic()
                    done = _follow(client, client.post("/api/v1/jobs", json={"certificates": batch}).json()["id"])
                    assert done["state"] == "succeeded", done
                    rates[name].append(size / (time.monotonic() - started))
            finally:
                server.stop()
                shutil.rmtree(folder, ignore_errors=True)
    _compare(f"1a. issuance with PDFs through a job of {size} (verifier serve)", rates)


def log_bytes(database: Path) -> dict[str, int]:
    """Bytes of each log table and its indexes on disk (SQLite's dbstat), and the entries' count."""
    with sqlite3.connect(database) as conn:
        pages = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
        tables = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
        entries = conn.execute("SELECT COUNT(*) FROM log_entries").fetchone()[0]
    sized = {name: size for name, size in pages.items() if str(tables.get(name, "")).startswith("log_")}
    return {"bytes": sum(sized.values()), "entries": entries}


def throughput(count: int, rounds: int, job: int, home: Path) -> Path:
    """Part 1 and 2; returns the folder of the last fill (its log is part 4's)."""
    before = home / "before-code"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(before), BEFORE], check=True,
                   capture_output=True)  # fmt: skip
    rates: dict[str, list[float]] = {"before": [], "now": []}
    last = home
    try:
        if job:
            jobs(job, rounds, home, before)
        for round_ in range(rounds):
            for name, path in (("before", str(before)), ("now", None)):
                folder = home / f"{name}-{round_}"
                made = _fill_in(folder, count, path)
                assert made["logged"] == (name == "now"), made
                rates[name].append(made["rate"])
                if name == "now":
                    last = folder
                else:
                    shutil.rmtree(folder, ignore_errors=True)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(before)], capture_output=True)
    _compare(f"1b. issuance without PDFs, in process ({count:,} per round)", rates)
    size = log_bytes(last / "data" / "verifier.db")
    per = size["bytes"] * 10_000 / count
    each = size["bytes"] / size["entries"]
    print(f"2. the log: {size['entries']:,} entries for {count:,} issuances (and the keys'), {size['bytes']:,} bytes "
          f"on disk: {per / 1e6:.2f} MB per 10,000 issuances ({each:.0f} bytes an entry)")  # fmt: skip
    return last


def witnessed(rate: float, seconds: float, home: Path) -> None:
    """Part 3: issuance to a witnessed checkpoint with two witnesses."""
    from tests.helpers.server import Server
    from tests.helpers.service import register_issuer

    admin = secrets.token_urlsafe(32)
    env = {"VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
           "VERIFIER_ADMIN_TOKEN": admin, "VERIFIER_RATE_LIMIT": "0"}  # fmt: skip
    server = Server(home, env)
    server.start()
    witnesses: list[subprocess.Popen[bytes]] = []
    try:
        base, operator = server.url, {"Authorization": f"Bearer {admin}"}
        issuer = register_issuer(httpx.post, admin, base)
        log_key = httpx.get(f"{base}/api/v1/log").json()["key"]
        for name in ("sgs", "tuv"):
            folder = home / name
            folder.mkdir()
            run = [sys.executable, "-m", "verifier", "witness"]
            vkey = subprocess.run([*run, "init", "--name", f"{name}.example/witness", "--key", "w.pem"], cwd=folder,
                                  check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
            added = httpx.post(f"{base}/api/v1/log/witnesses", json={"vkey": vkey}, headers=operator)
            assert added.status_code == 201, added.text
            witnesses.append(subprocess.Popen(
                [*run, "run", "--log", base, "--log-key", log_key, "--name", f"{name}.example/witness", "--key",
                 "w.pem", "--state", "state.json", "--every", "1"], cwd=folder, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))  # fmt: skip
        certificates = [json.loads(p.read_text("utf-8")) for p in sorted(DEMO.glob("*.json"))]
        current = [c for c in certificates if c["valid_until"] > time.strftime("%Y-%m-%d")]
        issued: list[tuple[int, float, str]] = []  # (log index, when answered, id)
        seen: dict[int, float] = {}
        stop = threading.Event()

        def poll() -> None:
            with httpx.Client(base_url=base) as client:
                while not stop.is_set():
                    size = client.get("/api/v1/log").json()["witnessed_size"]
                    now = time.monotonic()
                    for index, _, _ in list(issued):
                        if index < size:
                            seen.setdefault(index, now)
                    time.sleep(0.05)

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        with httpx.Client(base_url=base, headers=issuer, timeout=60) as client:
            started = time.monotonic()
            n = 0
            while time.monotonic() - started < seconds:
                body = dict(current[n % len(current)], number=f"W-{n:06d}")
                answer = client.post("/api/v1/certificates", json=body)
                assert answer.status_code == 201, answer.text
                made = answer.json()
                issued.append((made["log_index"], time.monotonic(), made["id"]))
                n += 1
                time.sleep(max(0.0, started + n / rate - time.monotonic()))
            deadline = time.monotonic() + 60
            while len(seen) < len(issued) and time.monotonic() < deadline:
                time.sleep(0.1)
            stop.set()
            waits = sorted(seen.get(index, float("inf")) - at for index, at, _ in issued)
            p99 = waits[max(0, int(len(waits) * 0.99) - 1)]
            print(f"3. issuance to a witnessed checkpoint, two witnesses, {len(issued)} certificates with PDFs at "
                  f"{rate:g}/s: p50 {statistics.median(waits):.2f} s, p99 {p99:.2f} s, max {waits[-1]:.2f} s "
                  f"(goal p99 ≤ 10 s)")  # fmt: skip
            last = issued[-1][2]
            proof = client.get(f"/api/v1/certificates/{last}/log").json()["proof"]
            plain = client.get(f"/api/v1/certificates/{last}/pdf").content
            carried = client.get(f"/api/v1/certificates/{last}/pdf", params={"log_proof": "true"}).content
            cosigned = proof.count("\n\u2014 ") - 1
            print(f"   the proof with {cosigned} cosignatures: {len(proof.encode()):,} bytes (goal ≤ 2 KB); in the "
                  f"PDF with the update around it: +{len(carried) - len(plain):,} bytes on {len(plain):,}")  # fmt: skip
    finally:
        for process in witnesses:
            process.terminate()
        server.stop()


def tiles(home: Path, seconds: int, connections: int) -> None:
    """Part 4: tiles, bundles and the checkpoint under wrk, beside 8 KB of static bytes."""
    port = free_port()
    env = {**os.environ, "VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
           "VERIFIER_PUBLIC_URL": f"http://127.0.0.1:{port}", "VERIFIER_ADMIN_TOKEN": secrets.token_urlsafe(32),
           "VERIFIER_RATE_LIMIT": "0", "VERIFIER_RENDER_PDFS": "0"}  # fmt: skip
    server = subprocess.Popen([sys.executable, str(REPO / "bench" / "verify_http.py"), "--serve", str(port)], env=env,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        results = {}
        reads = (
            ("bare 8 KB", "/bare/bytes"),
            ("tile 0/000", "/log/tile/0/000"),
            ("bundle entries/000", "/log/tile/entries/000"),
            ("checkpoint", "/log/checkpoint"),
        )
        for name, path in reads:
            assert httpx.get(base + path).status_code == 200, path
            wrk(base + path, 2, connections, None)
            results[name] = wrk(base + path, seconds, connections, None)
        bare = results["bare 8 KB"][0]
        print(f"4. the log's static reads, one worker, {connections} connections:")
        for name, (rate, p99) in results.items():
            print(f"   {name:<20} {rate:>9,.0f} req/s  p99 {p99:6.1f} ms  ({rate / bare:.2f} × bare)")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--job", type=int, default=100, help="certificates with PDFs per job round (0: none)")
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--for", dest="seconds_for", type=float, default=30.0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--fill", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        print(json.dumps(fill(Path(args.fill[0]), int(args.fill[1]))))
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (make bench-log installs it)")
    home = Path(tempfile.mkdtemp(prefix="verifier-bench-log-"))
    try:
        last = throughput(args.count, args.rounds, args.job, home)
        (home / "witnessed").mkdir()
        witnessed(args.rate, args.seconds_for, home / "witnessed")
        tiles(last, args.seconds, args.connections)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
