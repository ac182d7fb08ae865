"""``verifier witness`` and ``verifier log``: a partner body witnessing the log; the operator's view of it.

    verifier witness init --name NAME --key FILE          make a witness key; print its vkey to register
    verifier witness run --log URL --log-key VKEY --name NAME --key FILE --state FILE [--every S] [--once]
    verifier log key                                      the log's vkey (what witnesses and verifiers pin)
    verifier log witness add VKEY [--party ID] | log witness withdraw NAME | log status | log backfill
    verifier monitor --log URL --issuer ID --known FILE --state FILE [--trust-list FILE --operator-key PEM]

A witness runs on the body's own machine against the service's public ``/log/``: each round it replays
every new entry before it cosigns (docs/spec/log.md, section 5), and sends its cosignature back. A
monitor follows the log the same way for one issuer and flags every entry about it that its own records
(an export) cannot match: a certificate sealed with a stolen key is seen within one checkpoint.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from verifier.cli.common import Commands, UsageError, open_registry, read_bytes
from verifier.config import Settings
from verifier.store.records import CLI_ACTOR

MAX_FETCH = 1 << 20  # a checkpoint, a tile (8 KB) or an entry bundle (at most 256 × 1 KB)


def register(commands: Commands) -> None:
    """Add ``witness`` and ``log`` to the command line."""
    witness = commands.add_parser("witness", help="witness the service's transparency log (a partner body)")
    steps = witness.add_subparsers(required=True, metavar="STEP")
    init = steps.add_parser("init", help="make a witness key and print the vkey the operator registers")
    init.add_argument("--name", required=True, help="the witness's name, a schema-less URL: sgs.example/witness")
    init.add_argument("--key", type=Path, required=True, metavar="FILE", help="where the private key goes (PEM)")
    init.set_defaults(run=_init)
    run = steps.add_parser("run", help="check the log's new entries and cosign its checkpoint, every few seconds")
    run.add_argument("--log", required=True, metavar="URL", help="the service's public URL")
    run.add_argument("--log-key", metavar="VKEY", help="the log's vkey (`verifier log key`); pinned on the first run")
    run.add_argument("--name", required=True, help="the witness's name, as registered")
    run.add_argument("--key", type=Path, required=True, metavar="FILE", help="the witness's private key (PEM)")
    run.add_argument("--state", type=Path, required=True, metavar="FILE", help="what it cosigned last (JSON)")
    run.add_argument("--every", type=float, default=2.0, metavar="SECONDS", help="between rounds (default 2)")
    run.add_argument("--once", action="store_true", help="one round, then stop (exit 1 when the log is refused)")
    run.set_defaults(run=_run)

    monitor = commands.add_parser("monitor", help="follow the log for one issuer: flag what its records lack")
    monitor.add_argument("--log", required=True, metavar="URL", help="the service's public URL")
    monitor.add_argument("--issuer", required=True, metavar="ID", help="the issuer whose entries to follow")
    monitor.add_argument(
        "--known", required=True, type=Path, metavar="FILE",
        help="the issuer's own records, a line each: a certificate's link (QR text), a seal's SHA-256, or "
        "'key <kid>'",
    )  # fmt: skip
    monitor.add_argument("--state", type=Path, required=True, metavar="FILE", help="the tree checked last (JSON)")
    monitor.add_argument("--trust-list", type=Path, metavar="FILE", help="a signed trust list naming the log")
    monitor.add_argument("--operator-key", type=Path, metavar="PEM", help="the operator key the list is signed with")
    monitor.add_argument("--log-key", metavar="VKEY", help="the log's vkey, without a trust list")
    monitor.add_argument("--every", type=float, default=5.0, metavar="SECONDS", help="between rounds (default 5)")
    monitor.add_argument("--once", action="store_true", help="one round, then stop")
    monitor.set_defaults(run=_monitor)

    log = commands.add_parser("log", help="the service's transparency log (the operator's side)")
    parts = log.add_subparsers(required=True, metavar="STEP")
    parts.add_parser("key", help="print the log's vkey").set_defaults(run=_key)
    parts.add_parser("status", help="the log's size, checkpoints and witnesses").set_defaults(run=_status)
    parts.add_parser(
        "backfill", help="enter the issuance of the certificates issued before the log began (once each)"
    ).set_defaults(run=_backfill)
    witnesses = parts.add_parser("witness", help="register or withdraw a witness").add_subparsers(
        required=True, metavar="ACTION"
    )
    add = witnesses.add_parser("add", help="register a witness by its vkey")
    add.add_argument("vkey")
    add.add_argument("--party", help="the registered party that runs it")
    add.set_defaults(run=_add)
    withdraw = witnesses.add_parser("withdraw", help="withdraw a witness")
    withdraw.add_argument("name")
    withdraw.set_defaults(run=_withdraw)


def _init(args: argparse.Namespace, settings: Settings) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from verifier.ledger.witness import witness_key
    from verifier.trust.keys import private_key_pem

    key = Ed25519PrivateKey.generate()
    vkey = witness_key(args.name, key).vkey()  # refuses a name a note cannot carry, before anything is written
    try:
        with open(args.key, "xb") as out:
            out.write(private_key_pem(key, settings.key_passphrase))
    except FileExistsError:
        raise UsageError(f"{args.key} exists: a witness key is never overwritten") from None
    args.key.chmod(0o600)
    print(vkey)
    return 0


def _fetcher(base: str):  # type: ignore[no-untyped-def]
    import httpx

    client = httpx.Client(base_url=base.rstrip("/") + "/log/", timeout=30.0, follow_redirects=False)

    def fetch(path: str) -> bytes:
        with client.stream("GET", path, headers={"Accept-Encoding": "gzip, identity"}) as answer:
            if answer.status_code != 200:
                raise UsageError(f"{answer.url}: {answer.status_code}")
            data = bytearray()
            for chunk in answer.iter_bytes():
                data += chunk
                if len(data) > MAX_FETCH:
                    raise UsageError(f"{answer.url}: more than {MAX_FETCH} bytes")
            return bytes(data)

    return client, fetch


def _state(args: argparse.Namespace, pinned: str | None, origin: str, first_run: str):  # type: ignore[no-untyped-def]
    """What the follower checked last (its state file), or the empty tree of the log whose key it pins."""
    from verifier.ledger.witness import WitnessState, first_state

    if args.state.exists():
        state = WitnessState.from_json(args.state.read_text("utf-8"))
        if pinned and pinned != state.log_key:
            raise UsageError(f"{args.state} pins another log key; a new log needs a new state file")
        return state
    if pinned:
        return first_state(origin, pinned)
    raise UsageError(first_run)


def _rounds(args: argparse.Namespace, command: str, refused: tuple[str, int], step: Callable[[], int]) -> int:
    """``step`` every ``--every`` seconds (one round with ``--once``, whose exit status it gives).

    A log refused (:class:`~verifier.ledger.witness.WitnessRefused`) is said as ``refused`` says, and exits
    with its status with ``--once``; a log away (a network error, a bad answer) is tried again next round.
    """
    from verifier.errors import VerifierError
    from verifier.ledger.witness import WitnessRefused

    while True:
        try:
            status = step()
        except WitnessRefused as exc:
            print(f"verifier {command}: {refused[0]}: {exc}", file=sys.stderr, flush=True)
            status = refused[1]
        except (VerifierError, UsageError, OSError) as exc:
            print(f"verifier {command}: {exc}", file=sys.stderr, flush=True)
            status = 2
        if args.once:
            return status
        time.sleep(args.every)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.ledger.log import origin_of
    from verifier.ledger.witness import witness_round
    from verifier.tlog.note import Note
    from verifier.trust.keys import load_private_key_pem

    key = load_private_key_pem(read_bytes(args.key), settings.key_passphrase)
    state = _state(args, args.log_key.strip() if args.log_key else None, origin_of(args.log),
                   "the first run needs --log-key (the operator publishes it: `verifier log key`)")  # fmt: skip
    client, fetch = _fetcher(args.log)

    def step() -> int:
        nonlocal state
        new, note, cosignature = witness_round(state, fetch, args.name, key, int(time.time()))
        if cosignature is not None:
            new.save(args.state)  # before the cosignature leaves
            state = new
            body = Note(note.text, (*note.signatures, cosignature)).to_text()
            answer = client.post("cosignatures", content=body, headers={"Content-Type": "text/plain"})
            print(f"cosigned {new.size} entries: {answer.status_code} {answer.text.strip()}", flush=True)
        return 0

    with client:
        return _rounds(args, "witness", ("REFUSED", 1), step)


def _monitor(args: argparse.Namespace, settings: Settings) -> int:
    """Follow the log for one issuer; exit 1 (with --once) when an entry is flagged, 3 when the log is refused."""
    from verifier.errors import VerifierError
    from verifier.ledger.log import origin_of
    from verifier.ledger.monitor import Known, monitor_round

    policy = _policy(args, settings) if args.trust_list else None
    pinned = args.log_key.strip() if args.log_key else policy.key.vkey() if policy else None
    try:
        known = Known.read(read_bytes(args.known).decode("utf-8", "replace").splitlines())
    except VerifierError as exc:
        raise UsageError(f"{args.known}: {exc}") from None
    state = _state(args, pinned, policy.origin if policy else origin_of(args.log),
                   "the first run needs --trust-list (or --log-key): the log's key to pin")  # fmt: skip
    print(f"monitoring {args.issuer}: {len(known.seals)} certificate(s) and {len(known.keys)} key(s) in its "
          f"records", flush=True)  # fmt: skip
    client, fetch = _fetcher(args.log)
    flagged = 0

    def step() -> int:
        nonlocal state, flagged
        state, _, witnessed, seen = monitor_round(state, fetch, args.issuer, known, policy)
        state.save(args.state)
        for sighting in seen:
            print(sighting.line(), flush=True)
        flagged += sum(1 for s in seen if not s.matched)
        if witnessed is not None and not witnessed.quorum_met:
            cosigned = f"{len(witnessed.cosigned)} of {witnessed.quorum} cosignatures"
            print(f"verifier monitor: the checkpoint of {state.size} entries is under-witnessed ({cosigned})",
                  file=sys.stderr)  # fmt: skip
        print(f"checked {state.size} entries; {flagged} flagged", file=sys.stderr, flush=True)
        return 1 if flagged else 0

    with client:
        return _rounds(args, "monitor", ("ALARM", 3), step)


def _policy(args: argparse.Namespace, settings: Settings):  # type: ignore[no-untyped-def]
    """The log's policy from a signed trust list (its key pinned with the operator's)."""
    from verifier.errors import TrustListError
    from verifier.trust.keys import load_public_key_pem
    from verifier.trust.trustlist import TrustList

    if not args.operator_key:
        raise UsageError("--trust-list needs --operator-key: the key the list must be signed with")
    try:
        listed = TrustList.from_document(
            read_bytes(args.trust_list), [load_public_key_pem(read_bytes(args.operator_key))]
        )
    except TrustListError as exc:
        raise UsageError(f"{args.trust_list}: {exc}") from None
    if listed.log is None:
        raise UsageError(f"{args.trust_list} names no log")
    return listed.log


def _backfill(args: argparse.Namespace, settings: Settings) -> int:
    registry = open_registry(settings)
    total = 0
    while entered := registry.log.backfill(datetime.now(UTC)):
        total += entered
        print(f"entered {total} issuance(s)", file=sys.stderr, flush=True)
    print(f"{total} certificate(s) issued before the log began entered; each is in the log now")
    return 0


def _key(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.ledger.log import Ledger

    registry = open_registry(settings)
    print(Ledger(registry, settings.public_url).note_key(datetime.now(UTC)).vkey())
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.ledger.log import Ledger

    now = datetime.now(UTC)
    ledger = Ledger(open_registry(settings), settings.public_url, settings.witness_quorum)
    health, policy = ledger.health(now), ledger.policy(now)
    print(f"log {ledger.origin}: {health.sequenced} entries, checkpoint {health.checkpoint_size}, "
          f"witnessed {health.witnessed_size} ({policy.quorum} of {len(policy.witnesses)} witnesses)")  # fmt: skip
    for name, (size, at) in sorted(health.witnesses.items()):
        print(f"  {name}: cosigned {size}" + (f" at {at.isoformat()}" if at else " (never)"))
    return 0


def _add(args: argparse.Namespace, settings: Settings) -> int:
    from verifier.tlog.note import COSIGNATURE, parse_vkey

    key = parse_vkey(args.vkey)
    if key.kind != COSIGNATURE:
        raise UsageError("a witness's vkey is a cosignature key (type 0x04): `verifier witness init` makes one")
    registry = open_registry(settings)
    if args.party:
        registry.issuers.get(args.party)
    registry.witnesses.add(CLI_ACTOR, key, args.party, datetime.now(UTC))
    print(f"witness {key.name} registered")
    return 0


def _withdraw(args: argparse.Namespace, settings: Settings) -> int:
    open_registry(settings).witnesses.withdraw(CLI_ACTOR, args.name, datetime.now(UTC))
    print(f"witness {args.name} withdrawn")
    return 0
