"""A batch file read for ``verifier issue-batch``: JSON or CSV, read as it is needed, never held whole.

JSON is ``{"certificates": [...]}`` or a bare list, each certificate as the API takes it. CSV has one
certificate per row, one column per field named by its dotted path (``holder.name``,
``products.0.models.1``; a number is a list's position), empty cells left out; a cell is a number where
the certificate's field is one. Every problem names its row and column, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.cli.common import UsageError

MAX_FILE_BYTES = 256 * 1024 * 1024


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
