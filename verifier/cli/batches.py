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
import csv
import functools
import io
import json
import os
import re
import sys
import time
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verifier.cli.common import Commands, UsageError, help_text
from verifier.config import Settings

JOB_SIZE = 1000  # the API's largest batch
JOB_BYTES = 4 * 1024 * 1024  # under the service's 5 MB body limit
MAX_FILE_BYTES = 256 * 1024 * 1024
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
    command.add_argument("--url", default=os.environ.get("VERIFIER_URL", "http://127.0.0.1:8000"),
                         help="the service (default: $VERIFIER_URL, else http://127.0.0.1:8000)")  # fmt: skip
    command.add_argument("--token", default=None, help="an issuer token (default: $VERIFIER_TOKEN)")
    command.add_argument("--json", action="store_true", help="print the issued certificates as JSON")
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    command.set_defaults(run=_issue_batch)


def _issue_batch(args: argparse.Namespace, _: Settings) -> int:
    import httpx
    from tqdm import tqdm

    token = args.token or os.environ.get("VERIFIER_TOKEN")
    if not token:
        raise UsageError("an issuer token is needed: --token or VERIFIER_TOKEN")
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
    answer = _call(client, "POST", "/api/v1/jobs", json={"certificates": [item.certificate for item in part]},
                   where=lambda field: _where(field, part, header))  # fmt: skip
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


def _call(
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


@dataclass(frozen=True)
class Item:
    """One certificate of the file, and where it stands there: its position (from 1), its spreadsheet row."""

    certificate: Any
    place: int
    row: int | None = None  # a CSV's row as a spreadsheet numbers it (the header is row 1)


@dataclass
class Batch:
    """A file of certificates: how many, and the certificates themselves (a CSV's made as they are sent)."""

    total: int
    items: Iterable[Item]
    header: list[str] | None = None  # a CSV's columns
    encoding: str = "utf-8"


def read_batch(path: Path) -> Batch:
    """The certificates of a JSON or CSV file (as the API takes them; the service validates them).

    A CSV may be UTF-8 (with or without a byte-order mark) or GB18030, which Chinese Excel writes when
    it saves "CSV (逗号分隔)". Raises :class:`UsageError` for a file that cannot be read, naming the row
    and column of a CSV's problem.
    """
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UsageError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        text, encoding = _decode_csv(path, data)
        header, total = _survey(text)
        return Batch(total, _rows(text, header), header, encoding)
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text (JSON must be)") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON: {exc}") from None
    certificates = parsed.get("certificates") if isinstance(parsed, dict) else parsed
    if not isinstance(certificates, list):
        raise UsageError(f'{path}: expected {{"certificates": [...]}} or a list of certificates')
    if not certificates:
        raise UsageError(f"{path} holds no certificates")
    return Batch(len(certificates), [Item(c, place) for place, c in enumerate(certificates, start=1)])


def _decode_csv(path: Path, data: bytes) -> tuple[str, str]:
    """The CSV's text, and the encoding it was read in: UTF-8, else GB18030 (Chinese Excel), else refused."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise UsageError(
            f"{path} is neither UTF-8 nor GB18030 text: in Excel, save it with 文件 > 另存为 > "
            "“CSV UTF-8 (逗号分隔)(*.csv)” (File > Save As > CSV UTF-8 (Comma delimited))"
        ) from None


def column_letter(index: int) -> str:
    """A spreadsheet's name of the column at ``index`` (from 0): A to Z, then AA, AB and on."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """The CSV's records with their spreadsheet row (from 1); a malformed one is a :class:`UsageError`."""
    reader = csv.reader(io.StringIO(text))
    row = 0
    while True:
        row += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            limit = csv.field_size_limit()
            if "field larger than field limit" in str(exc):
                raise UsageError(f"CSV row {row}: a cell is longer than {limit:,} characters") from None
            raise UsageError(f"CSV row {row}: {exc}") from None
        yield row, record


def _survey(text: str) -> tuple[list[str], int]:
    """The CSV's header, and how many certificates its rows hold (a first, light pass: nothing is kept)."""
    records = _records(text)
    first = next(records, None)
    if first is None or not first[1]:
        raise UsageError("the CSV file has no header row")
    header = [column.strip() for column in first[1]]
    for place, column in enumerate(header):
        path = column.split(".")
        if not all(path) or path[0].isdigit():
            raise UsageError(
                f"CSV column {column_letter(place)} ({column!r}): expected a dotted path such as holder.name "
                "or products.0.name"
            )
    total = 0
    for row, record in records:
        if len(record) > len(header):
            raise UsageError(f"CSV row {row}: {len(record)} cells for {len(header)} columns")
        total += any(cell.strip() for cell in record)
    if not total:
        raise UsageError("the CSV file holds no certificates")
    return header, total


def _rows(text: str, header: list[str]) -> Iterator[Item]:
    """CSV rows → certificates, made as they are asked for.

    Each column is a dotted path (numbers in a path are list positions); empty cells are left out.
    Integer fields (a CCC exemption's quantity) are read as numbers.
    """
    paths = [column.split(".") for column in header]
    records = _records(text)
    next(records)  # the header
    place = 0
    for row, record in records:
        if not any(cell.strip() for cell in record):
            continue
        place += 1
        certificate: dict[str, Any] = {}
        for index, (path, cell) in enumerate(zip(paths, record, strict=False)):
            if cell.strip():
                _put(certificate, path, _typed(path, cell.strip()), f"CSV row {row}, column {column_letter(index)}")
        yield Item(certificate, place, row)


def _put(target: Any, path: list[str], value: Any, where: str) -> None:
    """Set ``value`` at ``path`` in nested dicts and lists, making them as needed."""
    for part, following in zip(path, [*path[1:], None], strict=True):
        if following is None:
            _set(target, part, value, where)
            return
        child = _get(target, part)
        if child is None:
            child = [] if following.isdigit() else {}
            _set(target, part, child, where)
        target = child


def _get(target: Any, part: str) -> Any:
    if isinstance(target, list):
        index = int(part)
        return target[index] if index < len(target) else None
    return target.get(part)


def _set(target: Any, part: str, value: Any, where: str) -> None:
    if isinstance(target, list):
        if not part.isdigit() or int(part) > len(target):
            raise UsageError(f"{where}: list positions must count up from 0 without gaps (got {part})")
        if int(part) == len(target):
            target.append(value)
        else:
            target[int(part)] = value
    elif isinstance(target, dict):
        target[part] = value
    else:
        raise UsageError(f"{where}: a column's path goes inside a value ({part})")


@functools.cache
def _integer_paths() -> frozenset[str]:
    """Dotted paths (list positions left out) of the certificates' integer fields."""
    from pydantic import BaseModel

    from verifier.certificate.model import (
        CccExemptionCertificate,
        CccSelfDeclarationCertificate,
        InternationalCooperationCertificate,
        ZhejiangMadeCertificate,
    )

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


def _typed(path: list[str], cell: str) -> Any:
    if ".".join(p for p in path if not p.isdigit()) in _integer_paths() and cell.lstrip("-").isdigit():
        return int(cell)
    return cell
