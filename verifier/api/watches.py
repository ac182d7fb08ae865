"""Watches: anyone subscribes to a certificate's changes with an https webhook, or reads its issuer's Atom feed.

``POST /api/v1/watches`` takes the certificate as scanned (its QR text) or its credential, and the webhook's
URL: the certificate must be one the registry issued, the URL one :mod:`verifier.watches.delivery` may
reach. The answer holds the watch's token once: with it the subscriber reads the delivery log
(``GET /api/v1/watches/{id}``) and ends the watch (``DELETE``, or the unsubscribe link every delivery
carries). A client makes at most ``VERIFIER_WATCH_RATE_LIMIT`` watches; one receiver host takes at most
``VERIFIER_WATCHES_PER_RECEIVER``. ``GET /issuers/{id}/feed.atom`` lists an issuer's status changes.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from verifier.api.batch import charge
from verifier.api.deps import Services, ServicesDep
from verifier.api.public import NO_STORE, PAGE_HEADERS, check_credential, check_online
from verifier.api.ratelimit import client_of
from verifier.api.schemas import ErrorOut
from verifier.credentials.check import is_credential
from verifier.errors import FieldRefused
from verifier.store.records import NotFound
from verifier.store.watches import WatchRecord
from verifier.watches.delivery import TargetRefused, check_url, parse_allowed, resolve
from verifier.watches.feed import MEDIA_TYPE, atom

router = APIRouter(tags=["watches"])
EVENTS = ["certificate.suspended", "certificate.reinstated", "certificate.revoked", "recognition.suspended",
          "recognition.reinstated", "recognition.revoked", "recognition.lapsed"]  # fmt: skip
WatchId = Annotated[str, Path(max_length=24, description="the watch's id")]
Token = Annotated[str, Query(max_length=64, description="the watch's token, as its creation answered it")]


class WatchIn(BaseModel):
    """The certificate to watch (its QR text, or its credential) and the https webhook to tell."""

    model_config = ConfigDict(extra="forbid")
    qr: Annotated[str | None, Field(max_length=100_000)] = None
    credential: dict[str, Any] | Annotated[str, Field(max_length=100_000)] | None = None
    url: Annotated[str, Field(max_length=2048, examples=["https://erp.example.com/hooks/certificates"])]


class WatchOut(BaseModel):
    """A watch: its certificate, its webhook, its token (shown when it is made), the events it tells of."""

    id: str
    certificate: dict[str, str]
    url: str
    token: str | None
    unsubscribe_url: str | None
    events: list[str]
    created_at: str
    ended_at: str | None
    ended_why: str | None
    deliveries: list[dict[str, Any]] | None = None


def _out(svc: Services, watch: WatchRecord, secret: bool, deliveries: list[dict[str, Any]] | None = None) -> Response:
    url = svc.settings.public_url
    body = {
        "id": watch.id, "url": watch.url, "events": EVENTS,
        "certificate": {"id": watch.certificate_id, "number": watch.number, "issuer": watch.issuer_id},
        "token": watch.token if secret else None,
        "unsubscribe_url": f"{url}/watches/{watch.id}/unsubscribe?token={watch.token}" if secret else None,
        "created_at": _iso(watch.created_at), "ended_at": _iso(watch.ended_at), "ended_why": watch.ended_why,
        "deliveries": deliveries,
    }  # fmt: skip
    return Response(orjson.dumps(body), media_type="application/json", headers=NO_STORE)


@router.post(
    "/api/v1/watches",
    response_model=WatchOut,
    status_code=201,
    summary="Watch a certificate: its changes POSTed, signed, to an https webhook",
    responses={200: {"model": WatchOut, "description": "This certificate is watched at this URL already"},
               409: {"model": ErrorOut, "description": "The receiver takes as many watches as one may"},
               422: {"model": ErrorOut, "description": "Not a certificate the registry issued, or a URL that may "
                     "not be reached (not https, or an address off the public internet)"},
               429: {"model": ErrorOut, "description": "This client's watches for this window are made"}},
)  # fmt: skip
async def watch(body: WatchIn, request: Request, svc: ServicesDep) -> Response:
    """Watch the certificate; deliveries (Standard Webhooks, ``v1a`` signatures by the operator's key) follow.

    Events: a suspension, reinstatement or revocation of the certificate, each of its recognitions' own
    changes, and each recognition's lapse when the certificate stops being in force.
    """
    if (body.qr is None) == (body.credential is None):
        raise FieldRefused("qr", "give the certificate as qr (its QR text) or credential, one of them")
    try:
        target = check_url(body.url)
        await resolve(target, parse_allowed(svc.settings.webhook_allow))
    except TargetRefused as refused:
        raise FieldRefused("url", str(refused)) from None
    given: object = body.credential if body.credential is not None else body.qr
    if is_credential(given):
        result = await run_in_threadpool(check_credential, svc, request.scope, given)
    else:
        result = await check_online(svc, request.scope, "watch", text=str(given).strip())
    if result.registered is None or result.signature.valid is not True:
        field = "qr" if body.qr is not None else "credential"
        raise FieldRefused(
            field, f"only a certificate the registry issued can be watched: this is {result.verdict.value}"
        )
    charge(svc.watch_limit, client_of(request.scope), 1, "watches")
    host, most = target.host.lower(), svc.settings.watches_per_receiver
    made, new = await run_in_threadpool(svc.registry.watches.add, result.registered.certificate_id, body.url, host,
                                        most, svc.clock())  # fmt: skip
    response = _out(svc, made, secret=True)
    response.status_code = 201 if new else 200
    return response


async def _owned(svc: Services, watch_id: str, token: str) -> WatchRecord:
    found = await run_in_threadpool(svc.registry.watches.get, watch_id)
    if found is None or not hmac.compare_digest(found.token.encode(), token.encode()):
        raise NotFound("no such watch, or not this token")
    return found


@router.get("/api/v1/watches/{watch_id}", response_model=WatchOut, responses={404: {"model": ErrorOut}},
            summary="A watch and its delivery log (every attempt), with its token")  # fmt: skip
async def watch_log(watch_id: WatchId, token: Token, svc: ServicesDep) -> Response:
    """The watch, its newest 100 deliveries and each attempt: when, how long, what the receiver answered."""
    found = await _owned(svc, watch_id, token)
    return _out(svc, found, secret=False, deliveries=await run_in_threadpool(svc.registry.watches.log, watch_id))


@router.delete("/api/v1/watches/{watch_id}", status_code=204, responses={404: {"model": ErrorOut}},
               summary="End a watch (its deliveries not yet made are dropped)")  # fmt: skip
async def unwatch(watch_id: WatchId, token: Token, svc: ServicesDep) -> Response:
    """End the watch, with its token."""
    await _owned(svc, watch_id, token)
    await run_in_threadpool(svc.registry.watches.end, watch_id, "unsubscribed", svc.clock())
    return Response(status_code=204, headers=NO_STORE)


@router.get("/watches/{watch_id}/unsubscribe", include_in_schema=False)
async def unsubscribe_page(watch_id: WatchId, token: Token, svc: ServicesDep) -> Response:
    """The unsubscribe link a delivery carries, opened in a browser: a button that ends the watch."""
    found = await _owned(svc, watch_id, token)
    return HTMLResponse(_page(found, ended=found.ended_at is not None), headers=PAGE_HEADERS)


@router.post("/watches/{watch_id}/unsubscribe", include_in_schema=False)
async def unsubscribe(watch_id: WatchId, token: Token, svc: ServicesDep) -> Response:
    """The link's button, or a one-click POST (RFC 8058): the watch ends."""
    found = await _owned(svc, watch_id, token)
    await run_in_threadpool(svc.registry.watches.end, watch_id, "unsubscribed", svc.clock())
    return HTMLResponse(_page(found, ended=True), headers=PAGE_HEADERS)


def _page(watch: WatchRecord, ended: bool) -> str:
    from markupsafe import escape

    number, url = escape(watch.number), escape(watch.url)
    if ended:
        words = (
            f"<p>证书 {number} 的变更不再发送至 {url}。</p>"
            f"<p>Changes of certificate {number} are no longer sent to {url}.</p>"
        )
    else:
        words = (f"<p>停止将证书 {number} 的变更发送至 {url}？</p><p>Stop sending changes of certificate {number} to "
                 f"{url}?</p><form method=\"post\"><button>停止 · Stop</button></form>")  # fmt: skip
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            'content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">'
            f"<title>Watch {escape(watch.id)}</title></head><body style=\"font:16px system-ui;max-width:40em;"
            f'margin:2em auto;padding:0 1em">{words}</body></html>')  # fmt: skip


@router.get(
    "/issuers/{issuer_id}/feed.atom",
    summary="An issuer's certificates suspended, reinstated or revoked, newest first (Atom)",
    responses={200: {"content": {MEDIA_TYPE: {}}}, 404: {"model": ErrorOut}},
)
async def feed(issuer_id: Annotated[str, Path(max_length=40)], svc: ServicesDep) -> Response:
    """The newest 100 status changes of the issuer's certificates, each linked to the certificate's page."""
    issuer = next((i.info for i in svc.trust.get().issuers if i.info.id == issuer_id), None)
    if issuer is None:
        raise NotFound("no such issuer")
    entries = await run_in_threadpool(svc.registry.watches.feed, issuer_id)
    body = atom(issuer.id, issuer.name_en, svc.settings.public_url, entries, svc.clock())
    return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "public, max-age=30"})


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
