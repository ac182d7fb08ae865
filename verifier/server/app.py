"""The application factory: settings in, a FastAPI app out. Nothing happens at import time."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from verifier import console
from verifier.api import (
    batch,
    credentials,
    imports,
    issuer,
    jobs,
    operator,
    public,
    recognitions,
    reports,
    scanner,
    watches,
)
from verifier.api import log as logface
from verifier.api.apidocs import docs_routes
from verifier.api.deps import Services, TrustCache, known_query
from verifier.api.errors import error_body, refusal
from verifier.api.issuer import issued
from verifier.api.observe import Metrics, Observe, metrics_route, route_templates
from verifier.api.ratelimit import PUBLIC_PREFIXES, UPLOAD_PREFIXES, RateLimit, RateLimiter
from verifier.api.refusals import RefusalLog
from verifier.certificate.model import describe_errors
from verifier.config import Settings
from verifier.errors import FileRefused, VerifierError
from verifier.imports.sheet import MAX_FILE_BYTES
from verifier.issuing.jobs import JobRunner
from verifier.issuing.recipe import PdfMaker
from verifier.ledger.log import Ledger
from verifier.needs import Readiness
from verifier.paper.stamps import checked_stamp
from verifier.reads.lists import StatusBoard
from verifier.reads.recognitions import RecognitionBoard
from verifier.reads.seals import KnownSeals
from verifier.resources import TEMPLATES
from verifier.server.background import keep_current
from verifier.store.database import make_engine, migrate
from verifier.store.records import Role
from verifier.store.registry import Registry
from verifier.store.tokens import METRICS_TOKEN_ID
from verifier.trust.keys import KeyStore
from verifier.uploads.readers import UploadReaders
from verifier.verification.check import SealCache
from verifier.watches.delivery import parse_allowed
from verifier.watches.dispatch import Dispatcher

Clock = Callable[[], datetime]
ADMIN_TOKEN_FILE = "admin-token"  # noqa: S105 - a file name, not a secret
METRICS_TOKEN_FILE = "metrics-token"  # noqa: S105
log = logging.getLogger("verifier")
DESCRIPTION = """Issue sealed product certificates and check them.

* **Public**: `GET /c/{code}` (the page a phone camera opens; JSON with `Accept: application/json`),
  `POST /api/v1/verify`, `POST /api/v1/verify/pdf`, `GET /api/v1/trust-list`, `GET /healthz`,
  `GET /metrics` (Prometheus).
* **Issuers** (`Authorization: Bearer <issuer token>`): `/api/v1/certificates...`
* **Operator** (`Authorization: Bearer <admin token>`): `/api/v1/issuers...`
"""


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    rate_clock: Callable[[], float] = time.monotonic,
    serving: bool = False,
) -> FastAPI:
    """The service on ``settings``: the database is migrated and the operator key made if missing.

    ``clock`` (an aware-UTC ``now``) and ``rate_clock`` (monotonic seconds, for the rate limits) are for
    tests; the service reads the real time. ``serving`` is for a server process (``verifier serve`` and
    ``demo``): what start-up made is frozen out of the collector's sight once the app starts.
    """
    now = clock or (lambda: datetime.now(UTC))
    engine = make_engine(settings.database)
    migrate(engine)
    registry = Registry(engine, KeyStore(settings.keys_dir, settings.key_passphrase), settings.admin_token)
    registry.issuers.ensure_operator_key(now())
    generated = registry.tokens.ensure_admin(now())
    if settings.admin_token and (settings.data_dir / ADMIN_TOKEN_FILE).exists():
        (settings.data_dir / ADMIN_TOKEN_FILE).unlink()  # the generated token it holds was withdrawn
        log.warning("VERIFIER_ADMIN_TOKEN is set: the generated admin token is withdrawn and its file deleted")
    if generated:
        path = write_secret(settings.data_dir / ADMIN_TOKEN_FILE, generated)
        log.warning(
            "generated the admin token and wrote it to %s (readable by this user only): keep it, then delete the file",
            path,
        )
    _metrics_token(registry, settings, now())
    if settings.render_pdfs:
        _warn_of_refused_stamps(registry)
    metrics = Metrics()
    services = Services(
        settings,
        registry,
        TrustCache(registry, (settings.public_url,), now, validity=timedelta(days=settings.trust_list_days)),
        now,
        SealCache(settings.seal_cache_size) if settings.seal_cache_size else None,
        PdfMaker(
            settings.public_url,
            workers=settings.render_workers,
            templates=settings.templates_dir or TEMPLATES,
            idle_seconds=settings.render_idle_seconds,
        )
        if settings.render_pdfs
        else None,
        files=UploadReaders(settings.upload_workers, settings.upload_queue),
        metrics=metrics,
        refusals=RefusalLog(registry, settings.auth_failure_limit, now, rate_clock),
        readiness=Readiness() if settings.render_pdfs else None,
    )
    services.board = StatusBoard(
        registry, settings.public_url, lambda issuer: credentials.signing_key(services, issuer)
    )
    services.board.refresh()  # before the first request: every list there is, signed
    services.known = KnownSeals(services.board, settings.seal_cache_size)
    services.recognised = RecognitionBoard(registry.recognitions)
    services.recognised.refresh()
    services.ledger = Ledger(registry, settings.public_url, settings.witness_quorum)
    services.trust.log = services.ledger.policy  # the published trust list names the log and its witnesses
    services.ledger.integrate(now())  # the first checkpoint (the empty tree's, on a new service) exists at once
    services.ledger.refresh(now())
    if settings.batch_rate_limit is not None:
        services.batch_limit = RateLimiter(*settings.batch_rate_limit, rate_clock)
    if settings.report_rate_limit is not None:
        services.report_limit = RateLimiter(*settings.report_rate_limit, rate_clock)
    if settings.watch_rate_limit is not None:
        services.watch_limit = RateLimiter(*settings.watch_rate_limit, rate_clock)
    allowed, counted = parse_allowed(settings.webhook_allow), lambda outcome: metrics.webhooks.labels(outcome).inc()
    services.dispatcher = Dispatcher(registry, settings.public_url, now, allowed, settings.webhook_ca_file, counted)
    services.jobs = JobRunner(registry, services.pdfs, settings.public_url, now, settings.job_lease_seconds)
    services.jobs.on_issued = lambda job, records: issued(services, job.actor, records)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if serving:
            # What start-up made lives as long as the process: out of the collector's sight, a full
            # collection walks only what requests make (without it, one took ~100 ms under load).
            gc.collect()
            gc.freeze()
        if services.readiness is not None:
            services.readiness.start()  # the first health check then finds the answer ready
        if services.jobs is not None:
            services.jobs.start()  # jobs a stopped service left are taken again
        stop = asyncio.Event()
        watching = asyncio.create_task(keep_current(services, stop), name="public reads")  # other replicas' changes
        yield
        stop.set()
        await watching  # its database work done before the registry closes
        if serving:
            gc.unfreeze()
        if services.jobs is not None:
            services.jobs.stop()  # a job under way goes back to the queue
        if services.refusals is not None:
            services.refusals.flush()
        registry.close()
        if services.pdfs is not None:
            services.pdfs.close()
        services.files.close()

    app = FastAPI(
        title="verifier",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(known_query)],
    )
    app.state.services = services

    def may_read_metrics(client: str, token: str) -> bool:
        principal = registry.tokens.authenticate(token)
        if principal is not None and principal.role in (Role.METRICS, Role.OPERATOR):
            return True
        if services.refusals is not None:
            services.refusals.refused(
                client, principal.token_id if principal else "anonymous", "auth.metrics", "GET /metrics"
            )
        return False

    app.router.routes[:0] = [
        *public.SCAN_ROUTES,
        *reports.LINK_ROUTES,  # /r/: a report's page, else a recognition's link
        *credentials.READ_ROUTES,
        metrics_route(metrics, settings.metrics_token, may_read_metrics),
        *docs_routes(app),
    ]
    app.include_router(public.router)
    app.include_router(scanner.router)
    app.include_router(credentials.router)
    app.include_router(issuer.router)
    app.include_router(jobs.router)
    app.include_router(operator.router)
    app.include_router(operator.tokens)
    app.include_router(recognitions.router)
    app.include_router(batch.router)
    app.include_router(reports.router)
    app.include_router(watches.router)
    app.include_router(logface.public)
    app.include_router(logface.router)
    app.include_router(imports.router)
    console.install(app)  # the desk's pages, under /console
    _handle_errors(app)
    spreadsheet = MAX_FILE_BYTES + 64 * 1024  # the file and the form around it
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       wider={"/api/v1/imports": spreadsheet, "/console/imports": spreadsheet,
                              batch.BATCH_PATH: batch.MAX_BATCH_BYTES})  # fmt: skip
    rules: list[tuple[tuple[str, ...], RateLimiter]] = [
        (prefixes, RateLimiter(*limit, rate_clock))
        for prefixes, limit in ((PUBLIC_PREFIXES, settings.rate_limit), (UPLOAD_PREFIXES, settings.upload_rate_limit))
        if limit is not None
    ]
    if rules:
        app.add_middleware(RateLimit, rules=rules, refused=metrics.rate_limited.inc)
    app.add_middleware(Observe, metrics=metrics, templates=route_templates(app.router.routes))
    return app


def _warn_of_refused_stamps(registry: Registry) -> None:
    """Name each issuer whose stored stamp the stamp checks now refuse: its certificates cannot be printed."""
    for issuer_id, stamp in registry.issuers.stamps():
        try:
            checked_stamp(stamp.data, stored=True)
        except FileRefused as refused:
            log.warning(
                "issuer %s's stamp is refused by this version's checks (%s): its certificates cannot be issued "
                "until the operator uploads the stamp again (verifier issuer stamp %s FILE)",
                issuer_id, refused, issuer_id,
            )  # fmt: skip


def _metrics_token(registry: Registry, settings: Settings, at: datetime) -> None:
    """``/metrics`` needs a token: the configured one, else one generated once and written to a file."""
    path = settings.data_dir / METRICS_TOKEN_FILE
    generated = registry.tokens.ensure_generated(METRICS_TOKEN_ID, Role.METRICS, settings.metrics_token is not None, at)
    if generated:
        write_secret(path, generated)
        log.warning("generated the /metrics token and wrote it to %s (readable by this user only)", path)
    elif settings.metrics_token and path.exists():
        path.unlink()  # the generated token it holds was withdrawn


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        kind = request.headers.get("content-type", "")
        upload = request.url.path in _UPLOAD_PATHS or request.url.path.endswith("/stamp")  # multipart, not JSON
        if not upload and "json" not in kind and any(e["loc"][:1] == ("body",) for e in exc.errors()):
            sent = kind.split(";")[0].strip() or "no Content-Type"
            message = f"the body must be JSON, sent with Content-Type: application/json (this one has {sent})"
            return error_body(422, "invalid_request", message, [{"field": "body", "message": message}])
        fields = []
        issuing = request.method == "POST" and request.url.path in _ISSUING_PATHS
        for error in describe_errors(list(exc.errors()), "certificate" if issuing else "request"):
            path = error.field.split(".")
            if path[0] in ("body", "query", "path", "header"):  # where in the request, left unsaid
                path = path[1:]
            if error.message == "JSON decode error":
                fields.append({"field": "body", "message": f"not valid JSON (at character {path[-1]})"})
                continue
            fields.append({"field": ".".join(path) or "body", "message": error.message})
        return error_body(422, "invalid_request", "; ".join(f"{f['field']}: {f['message']}" for f in fields), fields)

    @app.exception_handler(VerifierError)
    async def _refused(_: Request, exc: VerifierError) -> JSONResponse:
        return refusal(exc)  # its kind's status, in the one table of verifier.api.errors

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # A bug, never the client's fault: the documented shape, a request id to quote, and the
        # traceback in the log (the server logs it once more as it re-raises).
        request_id = str(request.scope.get("state", {}).get("request_id", ""))
        log.error(
            "unexpected error in %s %s", request.method, request.url.path, exc_info=exc,
            extra={"fields": {"request_id": request_id}},
        )  # fmt: skip
        response = error_body(
            500, "internal_error", f"an unexpected error, logged as request {request_id}: quote it to the operator"
        )
        response.headers["X-Request-ID"] = request_id
        return response

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        response = error_body(exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response


_UPLOAD_PATHS = ("/api/v1/verify/pdf", "/check/pdf")
_ISSUING_PATHS = ("/api/v1/certificates", "/api/v1/certificates/batch", "/api/v1/jobs")
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 422: "invalid_request"}  # fmt: skip

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, by their length or as they stream in."""

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], limit: int, wider: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.wider = wider or {}  # a path (exactly) -> its own limit: the spreadsheets of an import

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting its body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.wider.get(scope.get("path", ""), self.limit)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large_response(scope, receive, send, limit)
            return
        seen = 0

        async def counted() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counted, send)
        except _BodyTooLarge:
            await _too_large_response(scope, receive, send, limit)


class _BodyTooLarge(HTTPException):
    """A streamed (chunked) body past the limit.

    An HTTPException, so that the framework, which reads the body inside a route, answers 413 rather
    than its own 400 for a body it could not parse.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")


async def _too_large_response(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = error_body(413, "too_large", f"request bodies are limited to {limit} bytes")
    await response(scope, receive, send)


def app_from_environment() -> FastAPI:
    """The app on the ``VERIFIER_*`` settings: what ``verifier serve`` hands to uvicorn as a factory."""
    from verifier.config import load_settings

    return create_app(load_settings(), serving=True)


def write_secret(path: Path, text: str) -> Path:
    """Write ``text`` to a new file only this user can read (0600 from the start); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(text + "\n")
    return path
