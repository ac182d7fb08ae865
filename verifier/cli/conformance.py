"""``verifier conformance -- COMMAND…``: the published vectors run through another verifier's command line.

Black box: for each vector the command is run with the QR text, the trust list file, the operator's
public key (PEM), the check time and the trust list age limit, and must print the verdict JSON of
docs/verdict.md; its ``verdict`` and ``reason`` are compared with the vector's. For a trust list
vector the command gets that list and a genuine seal: it must exit 3 when the list is to be refused,
and print a verdict when it is to be accepted. Placeholders in COMMAND (``{qr}``, ``{trust_list}``,
``{operator_key}``, ``{at}``, ``{max_age_days}``) are filled in; a command without any gets
``{qr} --trust-list {trust_list} --operator-key {operator_key} --at {at} --max-age {max_age_days}``
appended. Vectors given as bytes (no link) and those that need a remembered version are left out:
a command line receives text.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.cli.common import Commands, UsageError, help_text
from verifier.config import Settings

PLACEHOLDERS = ("{qr}", "{trust_list}", "{operator_key}", "{at}", "{max_age_days}")
DEFAULT_ARGUMENTS = [
    "{qr}", "--trust-list", "{trust_list}", "--operator-key", "{operator_key}", "--at", "{at}",
    "--max-age", "{max_age_days}",
]  # fmt: skip
TRUST_LIST_REFUSED = 3
TIMEOUT = 60.0


def register(commands: Commands) -> None:
    """Add ``conformance`` to the command line."""
    conformance = commands.add_parser(
        "conformance",
        help="run the published test vectors against another verifier's command line",
        description=help_text(__doc__, rest=True),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    conformance.add_argument(
        "--vectors", type=Path, metavar="DIR", help="the vectors folder (default: tests/vectors of this checkout)"
    )
    conformance.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="commands run at once")
    conformance.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="the verifier to test")
    conformance.set_defaults(run=_conformance)


@dataclass(frozen=True)
class Run:
    """One vector as a command line, and what its answer must be."""

    name: str
    argv: list[str]
    verdict: str | None  # None: a trust list vector
    reason: str | None
    refused: bool = False


def _conformance(args: argparse.Namespace, settings: Settings) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise UsageError("give the command to test after --, e.g. verifier conformance -- node web/seal/cli.js")
    folder = args.vectors or Path(__file__).resolve().parents[2] / "tests" / "vectors"
    if not (folder / "vectors.json").is_file():
        raise UsageError(f"no vectors in {folder}: pass --vectors DIR (tests/vectors of the verifier repository)")
    document = json.loads((folder / "vectors.json").read_text("utf-8"))
    with tempfile.TemporaryDirectory(prefix="verifier-conformance-") as scratch:
        runs = _runs(document, folder, Path(scratch), command)
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            outcomes = list(pool.map(_outcome, runs))
    failed = 0
    for run, problem in zip(runs, outcomes, strict=True):
        print(f"{'FAIL' if problem else 'ok  '} {run.name}" + (f": {problem}" if problem else ""), flush=True)
        failed += problem is not None
    print(f"{len(runs) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _runs(document: dict[str, Any], folder: Path, scratch: Path, command: list[str]) -> list[Run]:
    template = command if any(p in word for word in command for p in PLACEHOLDERS) else command + DEFAULT_ARGUMENTS
    values = {"{trust_list}": str(folder / "trust-list.json"), "{operator_key}": str(folder / "operator.pub.pem")}

    def argv(**given: str) -> list[str]:
        filled = {**values, **{f"{{{k}}}": v for k, v in given.items()}}
        out = []
        for word in template:
            for placeholder, value in filled.items():
                word = word.replace(placeholder, value)
            out.append(word)
        return out

    runs = [
        Run(c["name"], argv(qr=c["qr"], at=c["at"], max_age_days="3650"), c["expected"]["verdict"],
            c["expected"]["reason"])
        for c in document["cases"]
        if c["input"] == "qr"
    ]  # fmt: skip
    genuine = next(c for c in document["cases"] if c["expected"]["verdict"] == "valid" and c["input"] == "qr")
    for number, c in enumerate(document["trust_lists"]):
        if c["highest_seen"] is not None:
            continue
        path = scratch / f"trust-list-{number}.json"
        path.write_text(c["document"], "utf-8")
        given = argv(qr=genuine["qr"], at=c["at"], max_age_days=str(c["max_age_days"]), trust_list=str(path))
        runs.append(Run(f"trust list: {c['name']}", given, None, None, refused=c["expected"] == "refused"))
    return runs


def _outcome(run: Run) -> str | None:
    """None when the command answered as the vector says, else what went wrong."""
    try:
        done = subprocess.run(run.argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)  # noqa: S603
    except FileNotFoundError:
        return f"cannot run {run.argv[0]}"
    except subprocess.TimeoutExpired:
        return f"no answer within {TIMEOUT:.0f} s"
    if run.verdict is None and run.refused:
        return None if done.returncode == TRUST_LIST_REFUSED else f"the list was accepted (exit {done.returncode})"
    if done.returncode == TRUST_LIST_REFUSED:
        return f"the trust list was refused: {done.stderr.strip()[:200]}"
    try:
        answer = json.loads(done.stdout)
        got = (answer["verdict"], answer["reason"])
    except (ValueError, KeyError, TypeError):
        return f"no verdict JSON on standard output (exit {done.returncode}): {done.stderr.strip()[:200]}"
    if run.verdict is None or got == (run.verdict, run.reason):
        return None
    return f"expected {run.verdict}/{run.reason}, got {got[0]}/{got[1]}"
