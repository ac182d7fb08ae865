"""A verification report's own page: ``/r/{id}``, where anyone with the report checks that it is genuine.

The link a report's QR code holds. The page checks the kept report's signature with the operator's keys
and shows what it says — when, each item's verdict at the time — beside each certificate's status now.
``Accept: application/json`` gives the same as data; ``application/vc`` (``+jwt``, or ``?format=jwt`` as a file to
keep) the signed report itself;
``/r/{id}/pdf`` its one-page PDF (rendered on the first download, then kept).

``/r/`` is shared with the recognitions' links (``/r/1...``, what partner bodies print): a report's id
begins with ``V``, a recognition's link with its format's digit, so each is told apart by its first
character.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from verifier.api.deps import Services
from verifier.api.i18n import LANGUAGES, Messages, catalogue, choose
from verifier.api.page import JINJA, TONES
from verifier.api.public import NO_STORE, PAGE_HEADERS
from verifier.api.recognitions import recognition_link
from verifier.certificate.days import scheme_time
from verifier.credentials.report import REPORT_ID, ReadReport, ReportRefused, read_report, report_url
from verifier.credentials.vcjose import JWT_MEDIA_TYPE, MEDIA_TYPE, enveloped, enveloped_bytes
from verifier.errors import Kind, VerifierError
from verifier.paper.report import ReportSheet
from verifier.paper.reportfile import resolved
from verifier.store.records import OPERATOR, NotFound
from verifier.store.reports import Standing, StoredReport
from verifier.times import parse_time
from verifier.verdict import StatusState, Verdict

router = APIRouter(tags=["public"])


def _operator_keys(svc: Services) -> list[Any]:
    return [record.public_key for record in svc.registry.keys.keyring(OPERATOR).keys]


def _kept(svc: Services, report_id: str) -> tuple[StoredReport, ReadReport]:
    """The report kept under ``report_id``, its signature checked (blocking); NotFound when none is kept."""
    stored = svc.registry.reports.get(report_id, svc.clock())
    if stored is None:
        raise NotFound(f"no report {report_id} is kept here (reports are kept {svc.settings.report_days} days)")
    try:
        return stored, read_report(stored.jwt, _operator_keys(svc))
    except ReportRefused as refused:  # the database was changed behind the service's back
        raise VerifierError(f"the report kept here does not verify: {refused}", kind=Kind.UNAVAILABLE,
                            code="report_damaged") from None  # fmt: skip


async def report_link(request: Request) -> Response:
    """``/r/{code}``: a report's page when the code is a report's id, else a recognition's link."""
    code = request.path_params["code"]
    if not REPORT_ID.fullmatch(code.upper()):
        return await recognition_link(request)
    svc: Services = request.app.state.services
    report_id = code.upper()
    accept = request.headers.get("accept", "")[:1024]
    language = choose(request.query_params.get("lang"), request.headers.get("accept-language"))
    try:
        stored, read = await run_in_threadpool(_kept, svc, report_id)
    except NotFound:
        if "application/json" in accept or MEDIA_TYPE in accept:
            raise
        html = JINJA.get_template("report_page.html.j2").render(**_missing(Messages(language), svc))
        return HTMLResponse(html, status_code=404, headers={**PAGE_HEADERS, "Content-Language": language})
    if request.query_params.get("format") == "jwt":  # the page's link: the signed report as a file to keep
        disposition = f'attachment; filename="verification-report-{report_id}.jwt"'
        return Response(stored.jwt, media_type=JWT_MEDIA_TYPE, headers={**NO_STORE, "Content-Disposition": disposition})
    if JWT_MEDIA_TYPE in accept:
        return Response(stored.jwt, media_type=JWT_MEDIA_TYPE, headers=NO_STORE)
    if MEDIA_TYPE in accept:
        return Response(enveloped_bytes(stored.jwt), media_type=MEDIA_TYPE, headers=NO_STORE)
    ids = [i for i in stored.certificate_ids if i]
    now = await run_in_threadpool(svc.registry.reports.standings, ids)
    if "application/json" in accept and "text/html" not in accept:
        return Response(orjson.dumps(_as_json(svc, stored, read, now)), media_type="application/json",
                        headers=NO_STORE)  # fmt: skip
    html = JINJA.get_template("report_page.html.j2").render(**_page(Messages(language), stored, read, now))
    return HTMLResponse(html, headers={**PAGE_HEADERS, "Content-Language": language})


def _as_json(svc: Services, stored: StoredReport, read: ReadReport, now: dict[str, Standing]) -> dict[str, Any]:
    url = report_url(svc.settings.public_url, stored.id)
    standing = []
    for item, certificate_id in zip(read.subject["items"], stored.certificate_ids, strict=False):
        found = now.get(certificate_id) if certificate_id else None
        standing.append(None if found is None else {
            "certificate_id": certificate_id, "state": found.state.value, "reason": found.reason,
            "since": found.since.isoformat().replace("+00:00", "Z") if found.since else None,
            "position": item.get("position")})  # fmt: skip
    return {"id": stored.id, "url": url, "pdf_url": f"{url}/pdf", "genuine": True, "kid": read.kid,
            "created_at": stored.created_at.isoformat().replace("+00:00", "Z"),
            "expires_at": stored.expires_at.isoformat().replace("+00:00", "Z"),
            "report": read.subject, "now": standing, "credential": enveloped(stored.jwt)}  # fmt: skip


def _page(m: Messages, stored: StoredReport, read: ReadReport, now: dict[str, Standing]) -> dict[str, Any]:
    subject = read.subject
    issuers: dict[str, Any] = subject["issuers"] if isinstance(subject.get("issuers"), dict) else {}
    rows = []
    for item, certificate_id in zip(resolved(subject["items"]), stored.certificate_ids, strict=False):
        certificate = item.get("certificate") or {}
        verdict = Verdict(item["verdict"]) if item.get("verdict") in Verdict._value2member_map_ else Verdict.MALFORMED
        found = now.get(certificate_id) if certificate_id else None
        rows.append({
            "position": item.get("position"), "number": certificate.get("number"),
            "holder": certificate.get("holder"),
            "issuer": (issuers.get(str(certificate.get("issuer"))) or {}).get("nameEn") or certificate.get("issuer"),
            "verdict": m(f"verdict_{verdict.value}"), "tone": TONES[verdict],
            "now": _now(m, found), "changed": found is not None and found.state is not StatusState.ACTIVE,
            "duplicate_of": str(item["duplicateOf"]) if item.get("duplicateOf") else None,
        })  # fmt: skip
    checked = parse_time(str(subject["checkedAt"]))
    counts = [(m(f"verdict_{v}"), n) for v, n in subject.get("verdicts", {}).items() if f"verdict_{v}" in _VERDICTS]
    return {
        "m": m, "found": True, "report_id": stored.id, "rows": rows, "counts": counts, "count": len(rows),
        "reference": subject.get("reference"),
        "genuine": m("report_genuine", when=scheme_time(checked), until=scheme_time(stored.expires_at)),
        "kid": " ".join(read.kid[i : i + 4] for i in range(0, len(read.kid), 4)),
        "languages": [(code, catalogue(code)["language"]) for code in LANGUAGES],
    }  # fmt: skip


_VERDICTS = frozenset(f"verdict_{v.value}" for v in Verdict)


def _now(m: Messages, found: Standing | None) -> Markup | str:
    if found is None:
        return ""
    if found.state is StatusState.ACTIVE:
        return m("report_now_active")
    since = scheme_time(found.since) if found.since else ""
    return m(f"report_now_{found.state.value}", since=since)


def _missing(m: Messages, svc: Services) -> dict[str, Any]:
    return {"m": m, "found": False, "missing": m("report_missing", days=str(svc.settings.report_days)),
            "languages": [(code, catalogue(code)["language"]) for code in LANGUAGES]}  # fmt: skip


async def report_pdf(request: Request) -> Response:
    """``/r/{id}/pdf``: the report on one page, with its QR code and the signed report embedded."""
    svc: Services = request.app.state.services
    report_id = str(request.path_params["code"]).upper()
    if not REPORT_ID.fullmatch(report_id):
        raise NotFound("not a report's id")
    stored, read = await run_in_threadpool(_kept, svc, report_id)
    pdf = stored.pdf
    if pdf is None:
        if svc.pdfs is None:
            raise VerifierError("this service does not render PDFs (VERIFIER_RENDER_PDFS=0); the report's page "
                                "and its signed credential are at its link", kind=Kind.UNAVAILABLE,
                                code="no_pdfs")  # fmt: skip
        sheet = ReportSheet.of(read.credential, stored.jwt, read.kid, svc.settings.public_url, stored.expires_at)
        pdf = await run_in_threadpool(svc.pdfs.report, sheet)
        await run_in_threadpool(svc.registry.reports.save_pdf, report_id, pdf)
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="verification-report-{report_id}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


# Placed ahead of every other route by create_app, as the certificates' links are.
LINK_ROUTES = [
    Route("/r/{code}/pdf", report_pdf, methods=["GET", "HEAD"]),
    Route("/R/{code}/pdf", report_pdf, methods=["GET", "HEAD"]),
    Route("/r/{code}", report_link, methods=["GET", "HEAD"]),
    Route("/R/{code}", report_link, methods=["GET", "HEAD"]),
]


@router.get(
    "/r/{code}",
    summary="A verification report's page (JSON with Accept: application/json; the signed report with "
    "application/vc or application/vc+jwt), or a recognition's link",
    responses={200: {"content": {"text/html": {}, MEDIA_TYPE: {}, JWT_MEDIA_TYPE: {}}},
               404: {"description": "No such report is kept (or recognition held)"}},
)  # fmt: skip
async def report_page(request: Request, code: str) -> Response:
    """Documents the route; requests reach :func:`report_link` first."""
    return await report_link(request)


@router.get(
    "/r/{code}/pdf",
    summary="A verification report as a one-page PDF (the signed report embedded: report.json, report.jws)",
    responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "No such report is kept"}},
)
async def report_download(request: Request, code: str) -> Response:
    """Documents the route; requests reach :func:`report_pdf` first."""
    return await report_pdf(request)
