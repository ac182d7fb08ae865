"""The worker that reads spreadsheets (``python -m verifier.imports.sheetworker``), and the service's way to ask it.

One file at a time, under :data:`WORKER_MEMORY` of address space and :data:`CPU_SECONDS` of CPU time per
file (the kernel's limits); the parent gives it :data:`~verifier.imports.sheet.READ_SECONDS` of wall time
and kills it past them. A request is one byte of kind (``c`` CSV, ``x`` XLSX), four of length and the
file; the answer four bytes of length and the table as JSON, or its refusal.
"""

from __future__ import annotations

import json
import os
import resource
import threading
from typing import Any

from verifier.children import Child, answers_channel, limit_cpu, requests
from verifier.errors import Kind
from verifier.imports.sheet import MAX_FILE_BYTES, READ_SECONDS, SheetKind, SheetRefused, Table, read

WORKER_MEMORY = 1024 * 1024 * 1024
CPU_SECONDS = 90
START_SECONDS = 60.0
MAX_ANSWER_BYTES = 100 * 1024 * 1024  # MAX_TEXT characters as JSON, with room
READERS = 2  # files read at once, service-wide: an import is rare, a reader takes a core
_SLOTS = threading.BoundedSemaphore(READERS)
_READY = b"R"
_KINDS = {"csv": b"c", "xlsx": b"x"}


def read_sheet(kind: SheetKind, data: bytes, seconds: float = READ_SECONDS) -> Table:
    """Read a spreadsheet in a worker process of its own; raises :class:`SheetRefused` for what it cannot."""
    if len(data) > MAX_FILE_BYTES:
        raise SheetRefused(f"the file has {len(data):,} bytes; at most {MAX_FILE_BYTES:,} are read: split it",
                           kind=Kind.TOO_LARGE)  # fmt: skip
    if not _SLOTS.acquire(timeout=5):
        raise SheetRefused(f"{READERS} spreadsheets are being read already: try again in a minute",
                           kind=Kind.UNAVAILABLE, retry_after=60)  # fmt: skip
    try:
        return _read(kind, data, seconds)
    finally:
        _SLOTS.release()


def _read(kind: SheetKind, data: bytes, seconds: float) -> Table:
    child = Child("verifier.imports.sheetworker")
    try:
        if not child.wait_ready(START_SECONDS, _READY):
            raise SheetRefused("the spreadsheet reader did not start; try again", kind=Kind.UNAVAILABLE)
        head = child.exchange(_KINDS[kind] + len(data).to_bytes(4, "big") + data, 4, seconds)
        length = int.from_bytes(head, "big") if len(head) == 4 else -1
        body = child.exchange(b"", length, seconds) if 0 < length <= MAX_ANSWER_BYTES else b""
        if len(body) != length:
            raise SheetRefused("the spreadsheet takes too much time or memory to read: split it or save it again",
                               kind=Kind.TOO_LARGE)  # fmt: skip
    finally:
        child.kill()
    answer = json.loads(body)
    if "refused" in answer:
        message, refused_kind = answer["refused"]
        raise SheetRefused(str(message)[:300], kind=Kind(refused_kind))
    return Table.from_json(answer["table"])


def _work(kind: bytes, data: bytes) -> dict[str, Any]:
    try:
        return {"table": read("csv" if kind == b"c" else "xlsx", data).to_json()}
    except SheetRefused as exc:
        return {"refused": [str(exc), exc.kind.value]}
    except MemoryError:
        return {"refused": ["the spreadsheet takes too much memory to read: split it", Kind.TOO_LARGE.value]}
    except Exception as exc:  # noqa: BLE001 - whatever a hostile file makes a parser raise, it is a damaged file
        return {"refused": [f"the spreadsheet cannot be read ({type(exc).__name__}): save it again as XLSX or CSV",
                            Kind.INVALID.value]}  # fmt: skip


def worker_main() -> None:
    """Read spreadsheets on standard input until it closes."""
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    os.nice(10)  # the service's own process comes first
    answers = answers_channel()
    import openpyxl  # noqa: F401 - imported before the first file, so that its time is no file's

    for kind, data in requests(answers, _READY, prefix=1):
        limit_cpu(CPU_SECONDS)
        body = json.dumps(_work(kind, data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        answers.write(len(body).to_bytes(4, "big") + body)
        answers.flush()


if __name__ == "__main__":
    worker_main()
