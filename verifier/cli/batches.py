"""``verifier issue-batch``: a file of certificates issued through a running service's API, with a progress bar.

The file is JSON (``{"certificates": [...]}`` or a bare list, each certificate as the API takes it) or
CSV: one certificate per row, one column per field named by its dotted path (``holder.name``,
``products.0.models.1``; a number is a list's position), empty cells left out. The certificates go as
jobs of at most 1,000 (each issued all or none, :mod:`verifier.jobs`), one after the other; the bar
counts the certificates rendered. Standard output gets a line per certificate issued: its number, id
and verification URL (or, with ``--json``, the jobs' certificates as the API answers them).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel
from tqdm import tqdm

from verifier.cli.common import Commands, UsageError
from verifier.config import Settings
from verifier.model import (
    CccExemptionCertificate,
    CccSelfDeclarationCertificate,
    InternationalCooperationCertificate,
    ZhejiangMadeCertificate,
)

JOB_SIZE = 1000  # the API's largest batch
JOB_BYTES = 4 * 1024 * 1024  # under the service's 5 MB body limit
MAX_FILE_BYTES = 256 * 1024 * 1024
POLL_SECONDS = 0.5
FAILED = 1


def register(commands: Commands) -> None:
    """Add ``issue-batch`` to the command line."""
    command = commands.add_parser(
        "issue-batch",
        help="issue a JSON or CSV file of certificates through a running service, with progress",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    command.add_argument("file", type=Path, help="FILE.json or FILE.csv")
    command.add_argument("--url", default=os.environ.get("VERIFIER_URL", "http://127.0.0.1:8000"),
                         help="the service (default: $VERIFIER_URL, else http://127.0.0.1:8000)")  # fmt: skip
    command.add_argument("--token", default=None, help="an issuer token (default: $VERIFIER_TOKEN)")
    command.add_argument("--json", action="store_true", help="print the issued certificates as JSON")
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(run=_issue_batch)


def _issue_batch(args: argparse.Namespace, _: Settings) -> int:
    token = args.token or os.environ.get("VERIFIER_TOKEN")
    if not token:
        raise UsageError("an issuer token is needed: --token or VERIFIER_TOKEN")
    certificates = read_batch(args.file)
    issued: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "verifier issue-batch"}
    with (
        httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=60) as client,
        tqdm(total=len(certificates), unit="cert", disable=args.quiet, file=sys.stderr, dynamic_ncols=True) as bar,
    ):
        for number, part in enumerate(_parts(certificates), start=1):
            job = _run_job(client, part, bar, f"job {number}")
            if job["state"] != "succeeded":
                bar.close()
                _report(job, len(issued), len(certificates))
                _print(issued, args.json)
                return FAILED
            issued += job["certificates"]
    _print(issued, args.json)
    print(f"issued {len(issued)} certificate(s)", file=sys.stderr)
    return 0


def _run_job(client: httpx.Client, part: list[Any], bar: Any, name: str) -> dict[str, Any]:
    """Queue one job and follow it to its end, moving the bar as its certificates are rendered."""
    answer = _call(client, "POST", "/api/v1/jobs", json={"certificates": part})
    job = answer.json()
    base = bar.n
    bar.set_description(name)
    while job["state"] in ("queued", "running"):
        time.sleep(POLL_SECONDS)
        job = _call(client, "GET", f"/api/v1/jobs/{job['id']}").json()
        bar.update(base + job["done"] - bar.n)
    if job["state"] == "succeeded":
        bar.update(base + job["total"] - bar.n)
    return dict(job)


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; a refusal or a network failure becomes a one-line :class:`UsageError`."""
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
        detail = "".join(f"\n  {f.get('field')}: {f.get('message')}" for f in fields[:20])
        raise UsageError(f"the service refused the batch ({answer.status_code}): {message}{detail}")
    return answer


def _report(job: dict[str, Any], issued: int, total: int) -> None:
    """Why a job was refused, item by item (positions counted in the whole file, from 1)."""
    print(f"verifier: job {job['id']} {job['state']}; nothing of it was issued", file=sys.stderr)
    for failure in job.get("failures") or []:
        where = "the job" if failure["index"] is None else f"certificate {issued + failure['index'] + 1}"
        number = f" ({failure['number']})" if failure.get("number") else ""
        print(f"  {where}{number}: {failure['error']}: {failure['message']}", file=sys.stderr)
    if issued:
        print(f"verifier: {issued} of {total} certificate(s) were issued by the jobs before it", file=sys.stderr)


def _print(issued: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"certificates": issued}, ensure_ascii=False, indent=2))
        return
    for certificate in issued:
        print(f"{certificate['number']}\t{certificate['id']}\t{certificate['verify_url']}")


def _parts(certificates: list[Any]) -> Iterator[list[Any]]:
    """The certificates in jobs of at most :data:`JOB_SIZE` and about :data:`JOB_BYTES` of JSON."""
    part: list[Any] = []
    size = 0
    for certificate in certificates:
        length = len(json.dumps(certificate, ensure_ascii=False).encode())
        if part and (len(part) == JOB_SIZE or size + length > JOB_BYTES):
            yield part
            part, size = [], 0
        part.append(certificate)
        size += length
    if part:
        yield part


def read_batch(path: Path) -> list[Any]:
    """The certificates of a JSON or CSV file (as the API takes them; the service validates them)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UsageError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MB")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    certificates: Any
    if path.suffix.lower() == ".csv":
        certificates = rows_to_certificates(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path} is not JSON: {exc}") from None
        certificates = data.get("certificates") if isinstance(data, dict) else data
        if not isinstance(certificates, list):
            raise UsageError(f'{path}: expected {{"certificates": [...]}} or a list of certificates')
    if not certificates:
        raise UsageError(f"{path} holds no certificates")
    return list(certificates)


def rows_to_certificates(text: str) -> list[dict[str, Any]]:
    """CSV rows → certificates: each column a dotted path, numbers in a path list positions, empty cells left out.

    Integer fields (the quantity of a CCC exemption) are read as numbers; everything else as text.
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise UsageError("the CSV file has no header row")
    paths = [column.strip().split(".") for column in header]
    for column, path in zip(header, paths, strict=True):
        if not all(path) or path[0].isdigit():
            raise UsageError(f"CSV column {column!r}: expected a dotted path such as holder.name or products.0.name")
    certificates = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(paths):
            raise UsageError(f"CSV line {line}: {len(row)} cells for {len(paths)} columns")
        certificate: dict[str, Any] = {}
        for path, cell in zip(paths, row, strict=False):
            if cell.strip():
                _put(certificate, path, _typed(path, cell.strip()), line)
        certificates.append(certificate)
    return certificates


def _put(target: Any, path: list[str], value: Any, line: int) -> None:
    """Set ``value`` at ``path`` in nested dicts and lists, making them as needed."""
    for part, following in zip(path, [*path[1:], None], strict=True):
        if following is None:
            _set(target, part, value, line)
            return
        child = _get(target, part)
        if child is None:
            child = [] if following.isdigit() else {}
            _set(target, part, child, line)
        target = child


def _get(target: Any, part: str) -> Any:
    if isinstance(target, list):
        index = int(part)
        return target[index] if index < len(target) else None
    return target.get(part)


def _set(target: Any, part: str, value: Any, line: int) -> None:
    if isinstance(target, list):
        if not part.isdigit() or int(part) > len(target):
            raise UsageError(f"CSV line {line}: list positions must count up from 0 without gaps (got {part})")
        if int(part) == len(target):
            target.append(value)
        else:
            target[int(part)] = value
    elif isinstance(target, dict):
        target[part] = value
    else:
        raise UsageError(f"CSV line {line}: a column's path goes inside a value ({part})")


def _integer_paths() -> frozenset[str]:
    """Dotted paths (list positions left out) of the certificates' integer fields."""
    found: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            for kind in _kinds(field.annotation):
                if kind is int:
                    found.add(prefix + name)
                elif isinstance(kind, type) and issubclass(kind, BaseModel):
                    walk(kind, f"{prefix}{name}.")

    for model in (ZhejiangMadeCertificate, InternationalCooperationCertificate, CccExemptionCertificate,
                  CccSelfDeclarationCertificate):  # fmt: skip
        walk(model, "")
    return frozenset(found)


def _kinds(annotation: Any) -> Iterator[Any]:
    """The classes an annotation may hold (through Optional, unions, lists and Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is None:
        yield annotation
    elif origin is typing.Annotated:
        yield from _kinds(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType, list, tuple):
        for argument in typing.get_args(annotation):
            yield from _kinds(argument)


_INTEGERS = _integer_paths()


def _typed(path: list[str], cell: str) -> Any:
    if ".".join(p for p in path if not p.isdigit()) in _INTEGERS and cell.lstrip("-").isdigit():
        return int(cell)
    return cell
