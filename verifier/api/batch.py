"""The customs desk's batch: a declaration's certificates checked in one call, and its signed report.

``POST /api/v1/verify/batch`` takes up to :data:`MAX_ITEMS` items — QR texts, credentials (JWT or
enveloped), or a certificate number with its holder's credit code — and answers one verdict per item, in
order, each the one its single check gives (``POST /api/v1/verify``). A bad item gets its own verdict
(``malformed``); only a body that is not a batch at all is refused. The same input twice is checked once
and answered twice (``duplicate_of``). A client is charged the batch's items on its own limit
(``VERIFIER_BATCH_RATE_LIMIT``), not one request.

With ``"report": true`` the answer carries a verification report: the operator's signed credential of what
was checked, kept for ``VERIFIER_REPORT_DAYS`` under ``/r/{id}`` (:mod:`verifier.api.reports`).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from verifier.api import verdictout
from verifier.api.deps import Services, ServicesDep
from verifier.api.public import NO_STORE, check_credential
from verifier.api.ratelimit import RateLimiter, client_of
from verifier.api.schemas import ErrorOut
from verifier.api.standing import scan_blocking, with_log, with_recognitions
from verifier.api.verdictout import VerdictOut
from verifier.credentials.check import is_credential
from verifier.credentials.report import Checked, new_report_id, report_credential, report_url, sign_report
from verifier.credentials.vcjose import ENVELOPE_PREFIX, enveloped
from verifier.errors import FieldRefused, Kind, VerifierError
from verifier.jsonstrict import strict_loads
from verifier.seal.cose import decode_text
from verifier.verdict import Reason
from verifier.verification.check import unanswered
from verifier.verification.result import VerificationResult

router = APIRouter(tags=["public"])
BATCH_PATH = "/api/v1/verify/batch"
MAX_ITEMS = 1000
MAX_BATCH_BYTES = 6 * 1024 * 1024  # 1,000 items of 4 KB, and the JSON around them, with room
MAX_NUMBER = 40  # characters of a certificate number (the registry's column)
MAX_REFERENCE = 100  # characters of the reference a report carries (a declaration's number)
CREDIT_CODE_LENGTH = 18  # a unified social credit code
_CODE_CHARACTERS = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")  # GB 32100-2015's alphabet


class NumberItem(BaseModel):
    """A certificate found by its number and its holder's unified social credit code (both, exactly)."""

    number: Annotated[str, Field(max_length=MAX_NUMBER, examples=["ZJM-2026-000123"])]
    credit_code: Annotated[str, Field(min_length=18, max_length=18, examples=["91330100MA2XXXXX0X"])]


class BatchIn(BaseModel):
    """The items to check, in order; ``report``: sign and keep a verification report of them."""

    items: Annotated[
        list[str | NumberItem | dict[str, Any]],
        Field(min_length=1, max_length=MAX_ITEMS, description="each a QR text, `{\"qr\": ...}`, "
              "`{\"credential\": <JWT or enveloped credential>}`, or `{\"number\": ..., \"credit_code\": ...}`"),
    ]  # fmt: skip
    report: bool = False
    reference: Annotated[
        str | None,
        Field(max_length=100, description="what the report names the batch by: a declaration's number (printed on it)"),
    ] = None


class BatchVerdictOut(VerdictOut):
    """One item's verdict (its single check's), with its place, the kind of input and its digest."""

    position: int
    input: Literal["qr", "credential", "number", "unreadable"]
    input_sha256: str
    duplicate_of: int | None


class ReportRefOut(BaseModel):
    """The report kept of this batch: where it is read, its PDF, until when it is kept, its credential."""

    id: str
    url: str
    pdf_url: str
    expires_at: datetime
    credential: dict[str, Any]


class BatchOut(BaseModel):
    """One verdict per item, in order; the count by verdict; the report when one was asked for."""

    checked_at: datetime
    count: int
    verdicts: dict[str, int]
    results: list[BatchVerdictOut]
    report: ReportRefOut | None


# The verdict's annotations name models of its own module, defined after it: resolved there.
BatchVerdictOut.model_rebuild(_types_namespace=vars(verdictout))
BatchOut.model_rebuild()


@dataclass(frozen=True)
class Batch:
    """A batch as read: its items, whether a report is wanted, and the reference it is to carry."""

    items: list[Item]
    report: bool
    reference: str | None


@dataclass(frozen=True)
class Item:
    """One item as read from the batch: its kind, what to check, and the digest of what was sent."""

    kind: str  # qr, credential, number, unreadable
    given: Any  # the text, the credential, (number, credit code), or why it cannot be read
    sha256: str


@router.post(
    BATCH_PATH,
    response_model=BatchOut,
    summary="Check up to 1,000 certificates in one call (a declaration's), optionally as a signed report",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": BatchIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}},
    responses={
        413: {"model": ErrorOut, "description": f"The body is larger than {MAX_BATCH_BYTES} bytes"},
        422: {"model": ErrorOut, "description": "The body is not a batch: not JSON, no `items`, more than "
              f"{MAX_ITEMS} of them, or an unknown member (a bad item is answered with its own verdict)"},
        429: {"model": ErrorOut, "description": "The client's items (or reports) for this window are spent"},
    },
)  # fmt: skip
async def verify_batch(request: Request, svc: ServicesDep) -> Response:
    """Each item's verdict, in order, exactly as ``POST /api/v1/verify`` gives it for that item alone.

    An item is a QR text (a string, or `{"qr": ...}`), a credential (`{"credential": ...}`: the JWT or
    the enveloped credential), or `{"number": ..., "credit_code": ...}`: a certificate found by its number
    together with its holder's unified social credit code (both must match; a number alone finds
    nothing). An item that is none of these is `malformed`; the batch goes on. Charged by items on the
    client's own limit. With `"report": true`, `report` names the signed verification report kept of it.
    """
    batch = await run_in_threadpool(read_batch, await request.body())
    items, client = batch.items, client_of(request.scope)
    charge(svc.batch_limit, client, len(items), "items checked")
    if batch.report:
        charge(svc.report_limit, client, 1, "reports")
    at = svc.clock()
    checked = await run_in_threadpool(check_items, svc, items, at)
    report = await run_in_threadpool(keep_report, svc, checked, at, batch.reference) if batch.report else None
    verdicts = Counter(c.result.verdict.value for c in checked)
    body = {
        "checked_at": at.isoformat().replace("+00:00", "Z"),
        "count": len(checked),
        "verdicts": dict(sorted(verdicts.items())),
        "results": [_result_json(c, items[c.position - 1].kind) for c in checked],
        "report": report,
    }
    return Response(orjson.dumps(body), media_type="application/json", headers=NO_STORE)


def charge(limit: RateLimiter | None, client: str, cost: int, what: str) -> None:
    """Charge ``cost`` on the client's ``limit``; 429 (with Retry-After) when its window has no room for it."""
    if limit is None:
        return
    wait = limit.take(client, cost)
    if wait is not None:
        raise VerifierError(
            f"this client's {what} for this window are spent ({limit.limit} per {limit.window:g} s); "
            f"try again in {int(wait) + 1} seconds", kind=Kind.RATE_LIMITED, code="rate_limited",
            retry_after=int(wait) + 1,
        )  # fmt: skip


def _result_json(checked: Checked, kind: str) -> dict[str, Any]:
    found = checked.result.to_json()
    found.update(position=checked.position, input=kind, input_sha256=checked.input_sha256,
                 duplicate_of=checked.duplicate_of)  # fmt: skip
    return found


def read_batch(data: bytes) -> Batch:
    """The batch's items, each read on its own (a bad one is an item that says why); raises 422 for a non-batch."""
    if len(data) > MAX_BATCH_BYTES:
        raise VerifierError(f"a batch is limited to {MAX_BATCH_BYTES} bytes", kind=Kind.TOO_LARGE, code="too_large")
    try:
        body = strict_loads(data)
    except RecursionError:
        raise FieldRefused("body", "the JSON is nested too deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise FieldRefused("body", f"not JSON: {str(exc)[:120]}") from None
    if not isinstance(body, dict):
        raise FieldRefused("body", 'a batch is a JSON object: {"items": [...]}')
    unknown = sorted(set(body) - {"items", "report", "reference"})
    if unknown:
        raise FieldRefused(unknown[0][:40], "not a member of a batch (it takes items, report and reference)")
    items, report, reference = body.get("items"), body.get("report", False), body.get("reference")
    if reference is not None and not (isinstance(reference, str) and _is_reference(reference)):
        raise FieldRefused("reference", f"1 to {MAX_REFERENCE} printable characters (a declaration's number)")
    if not isinstance(items, list) or not items:
        raise FieldRefused("items", "a list of 1 to 1000 items is required")
    if len(items) > MAX_ITEMS:
        raise FieldRefused("items", f"at most {MAX_ITEMS} items a batch (this one has {len(items)}); send several")
    if type(report) is not bool:
        raise FieldRefused("report", "true or false")
    return Batch([read_item(item) for item in items], report, reference.strip() if reference else None)


def _is_reference(text: str) -> bool:
    return 0 < len(text.strip()) <= MAX_REFERENCE and text.isprintable()


def read_item(item: object) -> Item:
    """One item: a QR text, a credential, a number with a credit code; or, unreadable, why."""
    if isinstance(item, str):
        return _text_item(item)
    if not isinstance(item, dict):
        return _unreadable("an item is a QR text, or an object with qr, credential, or number and credit_code")
    keys = set(item)
    if keys == {"qr"} and isinstance(item["qr"], str):
        return _text_item(item["qr"])
    if keys == {"credential"} and isinstance(item["credential"], (str, dict)):
        return _credential_item(item["credential"])
    if keys == {"number", "credit_code"}:
        number, code = item["number"], item["credit_code"]
        if not isinstance(number, str) or not 0 < len(number.strip()) <= MAX_NUMBER:
            return _unreadable(f"number: a certificate number of 1 to {MAX_NUMBER} characters")
        if not isinstance(code, str) or not _is_credit_code(code.strip().upper()):
            return _unreadable("credit_code: the holder's unified social credit code, 18 characters")
        found = (number.strip(), code.strip().upper())
        return Item("number", found, _sha256(f"{found[0]}/{found[1]}"))
    if keys == {"number"} or keys == {"credit_code"}:
        return _unreadable("a certificate number is looked up only with its holder's credit code: give both")
    return _unreadable("an item is a QR text, or an object with qr, credential, or number and credit_code")


def _text_item(text: str) -> Item:
    if is_credential(text):
        return _credential_item(text)
    return Item("qr", text.strip(), _sha256(text.strip()))


def _credential_item(given: str | dict[str, Any]) -> Item:
    """A credential; its digest is the JWT's it holds (the same credential sent as JWT or enveloped: one digest)."""
    envelope: object = given
    if isinstance(given, str) and given.strip().startswith("{"):
        try:
            envelope = strict_loads(given.strip())
        except (ValueError, RecursionError):
            envelope = None
    jwt = envelope.get("id") if isinstance(envelope, dict) else given
    if isinstance(jwt, str) and jwt.startswith(ENVELOPE_PREFIX):
        jwt = jwt.removeprefix(ENVELOPE_PREFIX)
    if isinstance(jwt, str):
        return Item("credential", given, _sha256(jwt.strip()))
    try:  # no JWT in it: not a credential, though as a whole it is the input (its verdict says why)
        sent = orjson.dumps(given, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # nested past orjson's depth: no credential is
        return _unreadable("credential: nested too deep to be a credential")
    return Item("credential", given, hashlib.sha256(sent).hexdigest())


def _unreadable(why: str) -> Item:
    return Item("unreadable", why, _sha256(why))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _is_credit_code(code: str) -> bool:
    return len(code) == CREDIT_CODE_LENGTH and all(c in _CODE_CHARACTERS for c in code)


def check_items(svc: Services, items: list[Item], at: datetime) -> list[Checked]:
    """Each item's verdict at ``at``, in order; an input seen before in the batch is answered as it was (blocking).

    Each seal is checked first; then the recognitions of every certificate found are read at once, and
    each verdict is given its recognitions and its log standing as a single check gives them.
    """
    firsts: dict[tuple[str, str], int] = {}
    numbered = svc.registry.reports.find_many([i.given for i in items if i.kind == "number"])
    svc.known.prefetch(svc.registry.seals, _seals(svc, [i.given for i in items if i.kind == "qr"], numbered))
    read: list[tuple[VerificationResult, bytes | None, float] | int] = []  # a verdict, or its twin's position
    for position, item in enumerate(items, 1):
        twin = firsts.get((item.kind, item.sha256)) if item.kind != "unreadable" else None
        if twin is not None:
            read.append(twin)
            continue
        firsts[(item.kind, item.sha256)] = position
        start = time.perf_counter()
        result, seal = check_item(svc, item, at, numbered)
        read.append((result, seal, time.perf_counter() - start))
    found = [r[0].registered.certificate_id for r in read if isinstance(r, tuple) and r[0].registered and r[1]]
    svc.recognised.fetch_many(found)
    svc.ledger.prefetch([r[1] for r in read if isinstance(r, tuple) and r[0].registered and r[1]])
    checked: list[Checked] = []
    for position, (item, done) in enumerate(zip(items, read, strict=True), 1):
        if isinstance(done, int):
            earlier = checked[done - 1]
            checked.append(Checked(position, item.kind, item.sha256, earlier.result, earlier.seal_sha256, done))
            continue
        result, seal, took = done
        start = time.perf_counter()
        if seal is not None and result.registered is not None:
            result = with_log(svc, with_recognitions(svc, result, seal), seal)  # as a single check has them
        if item.kind != "credential":  # a credential's check counted itself
            svc.metrics.verified(result, "batch", took + time.perf_counter() - start)
        digest = hashlib.sha256(seal).hexdigest() if seal is not None else None
        checked.append(Checked(position, item.kind, item.sha256, result, digest))
    return checked


def _seals(svc: Services, texts: list[str], numbered: dict[tuple[str, str], str]) -> list[bytes]:
    """The seals the batch's QR texts (and the certificates it names by number) hold, to look up at once."""
    origins, found = svc.trust.get().origins, []
    for text in [*texts, *numbered.values()]:
        try:
            found.append(decode_text(text, origins))
        except VerifierError:  # not a seal: its own check says why
            continue
    return found


def check_item(
    svc: Services, item: Item, at: datetime, numbered: dict[tuple[str, str], str]
) -> tuple[VerificationResult, bytes | None]:
    """One item's verdict (without its recognitions and log standing yet), and its seal (blocking).

    ``numbered``: the QR text of each certificate the batch names by number and credit code (found at once).
    """
    trust_list = svc.trust.get()
    if item.kind == "qr":
        return scan_blocking(svc, item.given, at)
    if item.kind == "credential":
        seals: list[bytes] = []
        result = check_credential(svc, {}, item.given, at, seals, via="batch", standing=False)
        return result, (seals[-1] if seals else None)
    if item.kind == "number":
        text = numbered.get(item.given)
        if text is None:
            detail = "the registry has no certificate with this number whose holder has this credit code"
            return unanswered(Reason.NOT_IN_REGISTRY, detail, trust_list, at, online=True), None
        return scan_blocking(svc, text, at)
    return unanswered(Reason.NO_CODE_FOUND, str(item.given), trust_list, at, online=True), None


def keep_report(svc: Services, checked: list[Checked], at: datetime, reference: str | None = None) -> dict[str, Any]:
    """Sign the batch's report with the operator's key and keep it; what the answer says of it (blocking)."""
    url = svc.settings.public_url
    report_id = new_report_id()
    credential = report_credential(report_id, url, at, checked, reference)
    jwt = sign_report(credential, svc.registry.issuers.operator_key(), url)
    until = at + timedelta(days=svc.settings.report_days)
    ids = [c.result.registered.certificate_id if c.result.registered else None for c in checked]
    svc.registry.reports.add(report_id, jwt, ids, at, until)
    svc.metrics.reports.labels("batch").inc()
    return {"id": report_id, "url": report_url(url, report_id), "pdf_url": f"{report_url(url, report_id)}/pdf",
            "expires_at": until.isoformat().replace("+00:00", "Z"), "credential": enveloped(jwt)}  # fmt: skip
