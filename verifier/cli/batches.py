"""``verifier issue-batch``: a file of certificates issued through a running service's API, with a progress bar.

The file is JSON (``{"certificates": [...]}`` or a bare list, each certificate as the API takes it) or
CSV: one certificate per row, one column per field named by its dotted path (``holder.name``,
``products.0.models.1``; a number is a list's position), empty cells left out. The certificates go as
jobs of at most 1,000 (each issued all or none, :mod:`verifier.issuing.jobs`), one after the other; the bar
counts the certificates rendered. Standard output gets a line per certificate issued: its number, id
and verification URL (or, with ``--json``, the jobs' certificates as the API answers them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verifier.cli.batchfiles import Item, column_letter, read_batch
from verifier.cli.common import Commands, UsageError, help_text
from verifier.config import Settings

JOB_SIZE = 1000  # the API's largest batch
JOB_BYTES = 4 * 1024 * 1024  # under the service's 5 MB body limit
POLL_SECONDS = 0.5
FAILED = 1

if TYPE_CHECKING:
    import httpx


def register(commands: Commands) -> None:
    """Add ``issue-batch`` to the command line."""
    command = commands.add_parser(
        "issue-batch",
        help="issue a JSON or CSV file of certificates through a running service, with progress",
        description=help_text(__doc__),
    )
    command.add_argument("file", type=Path, help="FILE.json or FILE.csv")
    service_options(command)
    command.add_argument("--json", action="store_true", help="print the issued certificates as JSON")
    command.set_defaults(run=_issue_batch)


def service_options(command: argparse.ArgumentParser) -> None:
    """The options of a command that works through a running service's API: where, whose token, a bar or not."""
    command.add_argument("--url", default=os.environ.get("VERIFIER_URL", "http://127.0.0.1:8000"),
                         help="the service (default: $VERIFIER_URL, else http://127.0.0.1:8000)")  # fmt: skip
    command.add_argument("--token", default=None, help="an issuer token (default: $VERIFIER_TOKEN)")
    command.add_argument("--quiet", action="store_true", help="no progress bar")


def token_of(args: argparse.Namespace) -> str:
    """The issuer token given (``--token``, else ``$VERIFIER_TOKEN``); a usage error without one."""
    token: str | None = args.token or os.environ.get("VERIFIER_TOKEN")
    if not token:
        raise UsageError("an issuer token is needed: --token or VERIFIER_TOKEN")
    return token


def _issue_batch(args: argparse.Namespace, _: Settings) -> int:
    import httpx
    from tqdm import tqdm

    token = token_of(args)
    batch = read_batch(args.file)
    if batch.encoding != "utf-8":
        print(f"verifier: {args.file} read as {batch.encoding} (Chinese Excel's CSV)", file=sys.stderr)
    issued: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "verifier issue-batch"}
    with (
        httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=60) as client,
        tqdm(total=batch.total, unit="cert", disable=args.quiet, file=sys.stderr, dynamic_ncols=True) as bar,
    ):
        # The file's rows become certificates one job at a time: a large CSV never sits in memory whole.
        for number, part in enumerate(_parts(batch.items), start=1):
            job = _run_job(client, part, bar, f"job {number}", batch.header)
            if job["state"] != "succeeded":
                bar.close()
                _report(job, part, len(issued), batch.total)
                _print(issued, args.json)
                return FAILED
            issued += job["certificates"]
    _print(issued, args.json)
    print(f"issued {len(issued)} certificate(s)", file=sys.stderr)
    return 0


def _run_job(client: httpx.Client, part: list[Item], bar: Any, name: str, header: list[str] | None) -> dict[str, Any]:
    """Queue one job and follow it to its end, moving the bar as its certificates are rendered."""
    answer = call_api(client, "POST", "/api/v1/jobs", json={"certificates": [item.certificate for item in part]},
                   where=lambda field: _where(field, part, header))  # fmt: skip
    job = answer.json()
    base = bar.n
    bar.set_description(name)
    while job["state"] in ("queued", "running"):
        time.sleep(POLL_SECONDS)
        job = call_api(client, "GET", f"/api/v1/jobs/{job['id']}").json()
        bar.update(base + job["done"] - bar.n)
    if job["state"] == "succeeded":
        bar.update(base + job["total"] - bar.n)
    return dict(job)


def _where(field: str, part: list[Item], header: list[str] | None) -> str:
    """A field the service names in a job (``certificates.3.holder.name``) as the place in the file.

    For a CSV the spreadsheet's row and column; for JSON the certificate's position in the file.
    """
    found = re.fullmatch(r"certificates\.(\d+)(?:\.(.+))?", field)
    if found is None or int(found.group(1)) >= len(part):
        return field
    item, path = part[int(found.group(1))], found.group(2)
    if item.row is None:
        return f"certificate {item.place}" + (f" ({path})" if path else "")
    if path and header and path in header:
        return f"row {item.row}, column {column_letter(header.index(path))} ({path})"
    return f"row {item.row}" + (f" ({path})" if path else "")


def call_api(
    client: httpx.Client, method: str, path: str, where: Callable[[str], str] = str, **kwargs: Any
) -> httpx.Response:
    """One request; a refusal or a network failure becomes a :class:`UsageError`.

    ``where`` names the place in the file of each field the service refuses; each place and message is
    said once.
    """
    import httpx

    try:
        answer = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise UsageError(f"cannot reach {client.base_url}: {exc}") from None
    if answer.status_code >= 400:
        try:
            body = answer.json()
            message = body.get("message") or answer.reason_phrase
            fields = body.get("fields") or []
        except ValueError:
            message, fields = answer.reason_phrase, []
        said = dict.fromkeys(f"\n  {where(str(f.get('field')))}: {f.get('message')}" for f in fields)
        detail = "".join(list(said)[:20]) + (f"\n  ... and {len(said) - 20} more" if len(said) > 20 else "")
        raise UsageError(f"the service refused the batch ({answer.status_code}): {message}{detail}")
    return answer


def _report(job: dict[str, Any], part: list[Item], issued: int, total: int) -> None:
    """Why a job was refused, item by item: the spreadsheet's row, or the position in the file (from 1)."""
    print(f"verifier: job {job['id']} {job['state']}; nothing of it was issued", file=sys.stderr)
    said = set()
    for failure in job.get("failures") or []:
        index = failure["index"]
        if index is None or index >= len(part):
            where = "the job"
        else:
            item = part[index]
            where = f"row {item.row}" if item.row is not None else f"certificate {item.place}"
        number = f" ({failure['number']})" if failure.get("number") else ""
        line = f"  {where}{number}: {failure['error']}: {failure['message']}"
        if line not in said:
            said.add(line)
            print(line, file=sys.stderr)
    if issued:
        print(f"verifier: {issued} of {total} certificate(s) were issued by the jobs before it", file=sys.stderr)


def _print(issued: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"certificates": issued}, ensure_ascii=False, indent=2))
        return
    for certificate in issued:
        print(f"{certificate['number']}\t{certificate['id']}\t{certificate['verify_url']}")


def _parts(items: Iterable[Item]) -> Iterator[list[Item]]:
    """The certificates in jobs of at most :data:`JOB_SIZE` and about :data:`JOB_BYTES` of JSON."""
    part: list[Item] = []
    size = 0
    for item in items:
        length = len(json.dumps(item.certificate, ensure_ascii=False).encode())
        if part and (len(part) == JOB_SIZE or size + length > JOB_BYTES):
            yield part
            part, size = [], 0
        part.append(item)
        size += length
    if part:
        yield part
