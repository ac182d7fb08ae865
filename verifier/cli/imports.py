"""``verifier import``: a spreadsheet of existing certificates brought into a running service, for scripts.

The file (XLSX, or CSV in UTF-8 or GB18030/GBK) is checked first with the mapping (``--mapping FILE.json``,
or ``--mapping-name`` for one saved in the service): every problem is printed at its row and column,
``--annotated OUT.xlsx`` saves the file with them marked, and nothing is imported while one is left.
Without ``--dry-run`` the import then starts and a progress bar counts its certificates issued. Rows
whose number the issuer has already are left as they are: running the same import again changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from verifier.cli.batches import call_api, service_options, token_of
from verifier.cli.common import Commands, UsageError, help_text
from verifier.config import Settings

FAILED = 1
POLL_SECONDS = 1.0


def register(commands: Commands) -> None:
    """Add ``import`` to the command line."""
    command = commands.add_parser("import", help="bring a spreadsheet of existing certificates into a running service",
                                  description=help_text(__doc__))  # fmt: skip
    command.add_argument("file", type=Path, help="FILE.xlsx or FILE.csv")
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("--mapping", type=Path, metavar="FILE.json", help="the column and value mapping")
    which.add_argument("--mapping-name", help="a mapping saved in the service")
    command.add_argument("--dry-run", action="store_true", help="check every row, import nothing")
    command.add_argument("--annotated", type=Path, metavar="OUT.xlsx", help="save the file with its problems marked")
    service_options(command)
    command.set_defaults(run=_import)


def _import(args: argparse.Namespace, _: Settings) -> int:
    import httpx
    from tqdm import tqdm

    token = token_of(args)
    data = args.file.read_bytes()
    form = {"mapping_name": args.mapping_name} if args.mapping_name else {"mapping": _mapping(args.mapping)}
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "verifier import"}
    with httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=300) as client:
        checked = call_api(client, "POST", "/api/v1/imports", files={"file": (args.file.name, data)}, data=form).json()
        summary = checked["summary"]
        print(f"{args.file}: {summary['rows']} rows, {summary['ready']} ready, {summary['existing']} registered "
              f"already, {summary['with_problems']} with problems", file=sys.stderr)  # fmt: skip
        for problem in checked["problems"]:
            where = f"row {problem['row']}" + (f", {problem['cell']} ({problem['column']})" if problem["cell"] else "")
            print(f"  {where}: {problem['message']}", file=sys.stderr)
        if summary["problems"] > len(checked["problems"]):
            print(f"  ... and {summary['problems'] - len(checked['problems'])} more", file=sys.stderr)
        if args.annotated:
            copy = call_api(client, "GET", f"/api/v1/imports/{checked['id']}/annotated.xlsx")
            args.annotated.write_bytes(copy.content)
            print(f"the file with its problems marked: {args.annotated}", file=sys.stderr)
        if args.dry_run or summary["problems"]:
            return FAILED if summary["problems"] else 0
        found = call_api(client, "POST", f"/api/v1/imports/{checked['id']}/start").json()
        with tqdm(total=found["total"], unit="cert", disable=args.quiet, file=sys.stderr, dynamic_ncols=True) as bar:
            while found["state"] == "running":
                time.sleep(POLL_SECONDS)
                found = call_api(client, "GET", f"/api/v1/imports/{checked['id']}").json()
                bar.update(found["done"] - bar.n)
    return _ended(found)


def _mapping(path: Path) -> str:
    try:
        return json.dumps(json.loads(path.read_text("utf-8")), ensure_ascii=False)
    except ValueError as exc:
        raise UsageError(f"{path}: not JSON ({exc})") from None


def _ended(found: dict[str, Any]) -> int:
    if found["state"] == "succeeded":
        print(f"imported {found['total']} certificate(s) (import {found['id']})", file=sys.stderr)
        return 0
    print(f"verifier: import {found['id']} {found['state']}: {found['done']} of {found['total']} issued; start it "
          "again to import the rest (nothing is imported twice)", file=sys.stderr)  # fmt: skip
    for failure in found["failures"][:20]:
        print(f"  {failure.get('number') or 'the job'}: {failure['error']}: {failure['message']}", file=sys.stderr)
    return FAILED
