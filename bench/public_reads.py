"""The public reads at scale: scans, credentials and status lists beside a bare FastAPI endpoint, per replica.

    .venv/bin/python bench/public_reads.py [--database sqlite|postgresql] [--size 1000] [--replicas N]
        [--seconds 10] [--connections 32] [--home DIR]
    (or: make bench-reads; SIZE=1000000 DATABASE=postgresql make bench-reads)

The registry is filled through the library (issuance without PDFs, batches of 1,000, one certificate in
a hundred revoked) on SQLite or on a real PostgreSQL cluster the bench runs itself; with ``--home`` it is
kept there and a later run measures it again without filling (another version of the code, say: run
this script with ``PYTHONPATH=<that tree>``). Then ``--replicas`` servers (one uvicorn worker each, as
``verifier serve`` runs it, with a route /bare answering a constant JSON) share the database, and on
each, wrk (``--connections``, loopback) measures in turn:

- bare: the constant JSON, the baseline every ratio is to;
- scan cold: ``GET /c/{code}`` as JSON for codes this replica was never asked for (each once, 3 s);
- scan warm: the same for 1,000 codes asked for already;
- credential cold and warm: ``GET /credentials/{id}`` the same way;
- status list: ``GET /status/bench/revocation/N`` over the issuer's lists;
- then bare and the warm runs again with 4 connections: the latency a lone client sees (with 32
  connections on 2 cores, the p99 is mostly the queue).

Also printed: each replica's memory at rest (resident set, after it started, before any request) and
after the runs, and the staleness: a certificate revoked through the library (as another replica would)
and how long until every replica's scan and status list say so.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(1, str(REPO))

from verify_http import bench_registry, free_port, wrk  # noqa: E402

PUBLIC_URL = "https://verify.bench.example"
PICKS = 20_000  # the certificates the runs ask for: half to each of two replicas, 1,000 of each half warm
WARM = 1_000
LIGHT = 4  # connections of the latency runs
COLD_SECONDS = 3  # at ~3,000/s, fewer requests than a replica's 10,000 picks: each asked for once


def fill(home: Path, database_url: str, size: int) -> dict[str, object]:
    """Register ``size`` certificates (one in a hundred revoked); returns the picks (codes, ids) to ask for."""
    from verifier.certificate.status import Action
    from verifier.issuing.recipe import issue

    registry, engine, issuer, templates, now, _ = bench_registry(home, database_url, PUBLIC_URL)
    templates = [t for t in templates if t.valid_until.year >= 2028]  # in force while the bench is kept
    picked = set(random.Random(7).sample(range(size), min(PICKS, size)))
    codes, ids, revoked = [], [], []
    started = time.monotonic()
    for start in range(0, size, 1000):
        batch = [templates[i % len(templates)].model_copy(update={"number": f"B-{i:08d}"})
                 for i in range(start, min(size, start + 1000))]  # fmt: skip
        for offset, record in enumerate(issue(registry, issuer, batch, PUBLIC_URL, now)):
            if (start + offset) % 100 == 99:
                revoked.append(record.id)
            elif start + offset in picked:
                codes.append(record.qr_text.rsplit("/", 1)[1])
                ids.append(record.id)
        if start and start % 50_000 == 0:
            rate = start / (time.monotonic() - started)
            print(f"  filled {start:,} ({rate:,.0f}/s, {(size - start) / rate / 60:.0f} min to go)", flush=True)
    for certificate_id in revoked:
        registry.certificates.change_status(issuer, certificate_id, Action.REVOKE, "other", "bench", now)
    lists = sorted({n for _, n in registry.statuslists.published()})
    engine.dispose()
    order = list(range(len(codes)))
    random.Random(11).shuffle(order)
    return {"size": size, "codes": [codes[i] for i in order], "ids": [ids[i] for i in order], "lists": lists,
            "fill_seconds": round(time.monotonic() - started)}  # fmt: skip


def lua(paths: list[str]) -> str:
    """A wrk script asking for ``paths`` in turn, each of wrk's threads from a random place of its own."""
    listed = ",\n".join(json.dumps(p) for p in paths)
    start = "math.random(#paths)"  # cold: two walks from random places cross rarely in a few thousand steps
    return (
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\nlocal threads = 0\n"
        "function setup(t)\n  threads = threads + 1\n  t:set('thread', threads)\nend\n"
        f"function init(args)\n  math.randomseed(thread * 7919)\n  i = {start}\nend\n"
        "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i - 1) % #paths + 1])\nend\n"
    )


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def replicas(home: Path, env: dict[str, str], count: int) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    """``count`` servers on the registry, each one uvicorn worker; yields (base URL, process) each."""
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    log = (home / "servers.log").open("ab")
    try:
        for _ in range(count):
            port = free_port()
            process = subprocess.Popen([sys.executable, str(REPO / "bench" / "verify_http.py"), "--serve", str(port)],
                                       env=env, stderr=log)  # fmt: skip
            started.append((f"http://127.0.0.1:{port}", process))
        for base, process in started:
            for _ in range(600):
                if process.poll() is not None:
                    sys.exit(f"a replica stopped: see {home / 'servers.log'}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        yield started
    finally:
        for _, process in started:
            process.terminate()
        for _, process in started:
            process.wait(timeout=30)
        log.close()


def bit_of(base: str, number: int, index: int) -> bool:
    """Whether a replica's revocation list ``number`` has ``index`` set (read from the list it serves)."""
    jwt = httpx.get(f"{base}/status/bench/revocation/{number}", headers={"Accept": "application/vc+jwt"}).text
    payload = json.loads(base64.urlsafe_b64decode(jwt.split(".")[1] + "=="))
    encoded = payload["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    position = index % (len(bits) * 8)
    return bool(bits[position // 8] >> (7 - position % 8) & 1)


def staleness(home: Path, database_url: str, picks: dict[str, object], bases: list[str]) -> list[float]:
    """Revoke a picked certificate through the library; seconds until each replica's scan and list say so."""
    from verifier.certificate.status import Action
    from verifier.config import Settings
    from verifier.store.database import make_engine
    from verifier.store.records import Principal, Role
    from verifier.store.registry import Registry
    from verifier.trust.keys import KeyStore

    settings = Settings(data_dir=home / "data", keys_dir=home / "keys", public_url=PUBLIC_URL,
                        database_url=database_url)  # fmt: skip
    engine = make_engine(settings.database)
    registry = Registry(engine, KeyStore(settings.keys_dir))
    codes, ids = picks["codes"], picks["ids"]
    assert isinstance(codes, list)
    assert isinstance(ids, list)
    accept = {"Accept": "application/json"}
    place = max(0, len(codes) // 2 - WARM - 1)  # before the first replica's warm ones, counting down: one still valid
    while place > 0 and httpx.get(f"{bases[0]}/c/{codes[place]}", headers=accept).json()["verdict"] != "valid":
        place -= 1  # revoked by an earlier run on this registry
    code, certificate_id = codes[place], ids[place]
    index = registry.certificates.credential_source(certificate_id).status_index
    assert index is not None
    for base in bases:  # each replica has seen it valid, so a cache would hold it
        seen = httpx.get(f"{base}/c/{code}", headers={"Accept": "application/json"}).json()
        assert seen["verdict"] == "valid", seen
    issuer = Principal("bench", Role.ISSUER, "bench")
    registry.certificates.change_status(issuer, certificate_id, Action.REVOKE, "other", "bench", datetime.now(UTC))
    changed = time.monotonic()
    seen: dict[str, float] = {}
    while len(seen) < len(bases) and time.monotonic() - changed < 30:
        for base in bases:
            if base in seen:
                continue
            scan = httpx.get(f"{base}/c/{code}", headers={"Accept": "application/json"}).json()
            if scan["verdict"] == "revoked" and bit_of(base, index // 131_072, index):
                seen[base] = time.monotonic() - changed
        time.sleep(0.005)
    delays = [seen.get(base, float("inf")) for base in bases]
    engine.dispose()
    return delays


def measure(
    base: str, home: Path, picks: dict[str, object], place: int, seconds: int, connections: int
) -> list[tuple[str, float, float]]:
    """wrk on one replica: (name, requests per second, p99 ms) of bare, the scans, credentials, lists.

    The cold runs ask for this replica's own share of the picks (``place``), each once, for COLD_SECONDS
    (fewer requests than the share holds); the warm ones for 1,000 asked for before, round and round.
    """
    codes, ids, lists = picks["codes"], picks["ids"], picks["lists"]
    assert isinstance(codes, list)
    assert isinstance(ids, list)
    assert isinstance(lists, list)
    share = len(codes) // 2
    mine = slice(place * share, (place + 1) * share)
    name = base.rsplit(":", 1)[1]
    scripts: dict[str, tuple[Path, list[str]]] = {}
    for label, paths in (
        ("scan cold", [f"/c/{c}" for c in codes[mine][:-WARM] or codes[mine]]),
        ("scan warm", [f"/c/{c}" for c in codes[mine][-WARM:]]),
        ("credential cold", [f"/credentials/{i}" for i in ids[mine][:-WARM] or ids[mine]]),
        ("credential warm", [f"/credentials/{i}" for i in ids[mine][-WARM:]]),
        ("status list", [f"/status/bench/revocation/{n}" for n in lists]),
    ):
        script = home / f"{name}-{label.replace(' ', '-')}.lua"
        script.write_text(lua(paths))
        scripts[label] = (script, paths)
    results = []
    wrk(f"{base}/bare", 2, connections, None)  # warm up
    rate, p99 = wrk(f"{base}/bare", seconds, connections, None)
    results.append(("bare", rate, p99))
    for label, (script, paths) in scripts.items():
        if label.endswith("warm"):
            with httpx.Client(base_url=base, headers={"Accept": "application/json"}, timeout=30) as client:
                for path in paths:  # every one asked for once
                    client.get(path)
        rate, p99 = wrk(base, COLD_SECONDS if label.endswith("cold") else seconds, connections, script)
        results.append((label, rate, p99))
    # The latency a lone client sees (the rate runs' p99 is mostly queueing behind 32 connections on 2 cores).
    for label, script in (("bare", None), *((k, v[0]) for k, v in scripts.items() if not k.endswith("cold"))):
        rate, p99 = wrk(f"{base}/bare" if script is None else base, max(3, seconds // 2), LIGHT, script)
        results.append((f"{label} @{LIGHT}", rate, p99))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--replicas", type=int, help="default: 1 on SQLite, 2 on PostgreSQL")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--home", type=Path, help="keep the filled registry here, or measure the one kept here")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk (make bench-reads installs it)")
    count = args.replicas or (2 if args.database == "postgresql" else 1)
    home = args.home or Path(tempfile.mkdtemp(prefix="verifier-bench-reads-"))
    home.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if args.database == "postgresql":
            from tests.helpers.postgres import throwaway_cluster

            server = stack.enter_context(throwaway_cluster(home / "pg" if args.home else None))
            database_url = server.rsplit("/", 1)[0] + "/bench"
            import psycopg

            with psycopg.connect(server, autocommit=True) as conn:
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'bench'").fetchone():
                    conn.execute("CREATE DATABASE bench")
        else:
            database_url = f"sqlite:///{home / 'data' / 'bench.db'}"
        kept = home / "picks.json"
        if kept.exists() and json.loads(kept.read_text())["size"] == args.size:
            picks = json.loads(kept.read_text())
            print(f"({args.size:,} certificates kept in {home}, filled in {picks['fill_seconds']} s)")
        else:
            picks = fill(home, database_url, args.size)
            kept.write_text(json.dumps(picks))
            print(f"({args.size:,} certificates stored in {picks['fill_seconds']} s, one in a hundred revoked)")
        env = {**os.environ, "VERIFIER_DATA_DIR": str(home / "data"), "VERIFIER_KEYS_DIR": str(home / "keys"),
               "VERIFIER_PUBLIC_URL": PUBLIC_URL, "VERIFIER_DATABASE_URL": database_url,
               "VERIFIER_ADMIN_TOKEN": secrets.token_urlsafe(32), "VERIFIER_RATE_LIMIT": "0",
               "VERIFIER_RENDER_PDFS": "0", "VERIFIER_LOG_LEVEL": "warning"}  # fmt: skip
        with replicas(home, env, count) as running:
            time.sleep(2)
            at_rest = [rss_mib(p.pid) for _, p in running]
            print(f"{args.database}, {args.size:,} certificates, {count} replica(s), wrk -c{args.connections} "
                  f"{args.seconds} s per run")  # fmt: skip
            for place, ((base, process), rest) in enumerate(zip(running, at_rest, strict=True)):
                results = measure(base, home, picks, place, args.seconds, args.connections)
                bare = {c: rate for label, rate, _ in results if label.startswith("bare") for c in [label[4:]]}
                print(f"replica {base}: memory at rest {rest:.0f} MiB, after the runs {rss_mib(process.pid):.0f} MiB")
                for label, rate, p99 in results:
                    ratio = rate / bare["" if "@" not in label else f" @{LIGHT}"]
                    print(f"  {label:<20} {rate:>9,.0f} req/s  p99 {p99:6.2f} ms  {ratio:5.2f} × bare")
            delays = staleness(home, database_url, picks, [base for base, _ in running])
            print("staleness after a revocation (scan and list): "
                  + ", ".join(f"{d * 1000:.0f} ms" for d in delays))  # fmt: skip
    if not args.home:
        shutil.rmtree(home, ignore_errors=True)
    print(
        "goals (issue 27): scan ≥ 0.9 × bare with p99 ≤ 5 ms; credential ≥ 0.8; status list ≥ 0.8; the same "
        "within 10 % at 1,000,000 on PostgreSQL; ≤ 600 MiB at rest per replica; a change seen within 1 s"
    )


if __name__ == "__main__":
    main()
