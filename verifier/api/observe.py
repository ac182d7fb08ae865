"""What the service tells its operator: Prometheus metrics at ``/metrics`` and one JSON log line per request.

Metrics (all prefixed ``verifier_``):

* ``certificates_issued_total{scheme}``, ``status_changes_total{action}``;
* ``verifications_total{verdict,via}`` (``via``: ``link`` for a scanned link or the landing page's
  pasted text, ``api`` for ``POST /api/v1/verify``, ``pdf`` for an uploaded file, ``batch`` for each item
  of ``POST /api/v1/verify/batch``);
* ``verification_seconds{via}``: the check itself (seal, trust list, registry), a histogram;
* ``http_requests_total{route,method,status}`` and ``http_request_duration_seconds{route,method}``,
  where ``route`` is the route's template (``/c/{code}``), never the raw path;
* ``rate_limited_total``, ``auth_refused_total{reason}``; ``reports_total{via}``: verification reports kept;
  ``webhook_deliveries_total{outcome}``: the watches' delivery attempts;
* the process's memory, CPU and open files (``process_*``) when one process serves.

With several worker processes (``verifier serve --workers N``), each writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` and any worker answers the sum of all.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from verifier.ledger.log import Health
from verifier.logs import REQUEST_ID
from verifier.verification.result import VerificationResult

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# The classic text format: what every Prometheus version reads (the latest client labels it 1.0.0).
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_INCOMING_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
access_log = logging.getLogger("verifier.access")


class Metrics:
    """The service's counters and histograms, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        if self.multiprocess_dir is None:
            ProcessCollector(registry=self.registry)

        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
            return Counter(f"verifier_{name}", doc, labels, registry=self.registry)

        def histogram(name: str, doc: str, labels: tuple[str, ...]) -> Histogram:
            return Histogram(f"verifier_{name}", doc, labels, registry=self.registry, buckets=LATENCY_BUCKETS)

        self.issued = counter("certificates_issued", "Certificates issued (sealed and registered)", ("scheme",))
        self.status_changes = counter("status_changes", "Suspensions, reinstatements, revocations", ("action",))
        self.verifications = counter("verifications", "Verification verdicts given", ("verdict", "via"))
        self.verification_seconds = histogram("verification_seconds", "Time to reach a verdict", ("via",))
        self.requests = counter("http_requests", "HTTP requests answered", ("route", "method", "status"))
        self.request_seconds = histogram("http_request_duration_seconds", "HTTP request latency", ("route", "method"))
        self.rate_limited = counter("rate_limited", "Public requests refused by the per-client rate limit")
        self.auth_refused = counter("auth_refused", "Requests refused for their token", ("reason",))
        self.reports = counter("reports", "Verification reports signed and kept", ("via",))
        self.webhooks = counter("webhook_deliveries", "Watches' delivery attempts, by what came of them", ("outcome",))

        def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            # Every worker reads the same database: the largest figure is the log's.
            return Gauge(f"verifier_{name}", doc, labels, registry=self.registry, multiprocess_mode="max")

        self.log_entries = gauge("log_entries", "Entries sequenced into the transparency log")
        self.log_checkpoint_size = gauge("log_checkpoint_size", "Entries the newest checkpoint covers")
        self.log_checkpoint_time = gauge("log_checkpoint_timestamp_seconds", "When the newest checkpoint was signed")
        self.log_witnessed_size = gauge("log_witnessed_size", "Entries the newest witnessed checkpoint covers")
        self.log_witness_lag = gauge(
            "log_witness_lag_entries", "Entries past the newest checkpoint a witness cosigned", ("witness",)
        )

    def logged(self, health: Health) -> None:
        """Show the log's state: its size, its newest and newest witnessed checkpoints, each witness's lag."""
        self.log_entries.set(health.sequenced)
        self.log_checkpoint_size.set(health.checkpoint_size)
        if health.checkpoint_at is not None:
            self.log_checkpoint_time.set(health.checkpoint_at.timestamp())
        self.log_witnessed_size.set(health.witnessed_size)
        for name, (size, _) in health.witnesses.items():
            self.log_witness_lag.labels(name).set(max(0, health.checkpoint_size - size))

    def verified(self, result: VerificationResult, via: str, seconds: float) -> None:
        """Count one verdict and the time it took."""
        self.verifications.labels(result.verdict.value, via).inc()
        self.verification_seconds.labels(via).observe(seconds)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric (summed over the workers' files in multiprocess mode)."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        combined = CollectorRegistry()
        MultiProcessCollector(combined, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(combined)


def metrics_route(metrics: Metrics, token: str | None, allowed: Callable[[str, str], bool]) -> Route:
    """``GET /metrics``, only for ``Authorization: Bearer <token>`` (the configured one), or a token ``allowed``.

    ``allowed(client, token)`` looks a token up (the service's own metrics token or an operator's) and
    records a refusal; it runs in the thread pool, off the event loop.
    """
    expected = f"Bearer {token}".encode() if token else None

    async def serve_metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "")
        scheme, _, credentials = given.partition(" ")
        if expected is not None and hmac.compare_digest(given.encode(), expected):
            granted = True
        elif scheme.lower() == "bearer" and 0 < len(credentials) <= 200:  # an operator's token, configured or not
            client = request.client.host if request.client else "unknown"
            granted = await run_in_threadpool(allowed, client, credentials.strip())
        else:
            granted = False
        if not granted:
            metrics.auth_refused.labels("metrics").inc()
            return JSONResponse(
                {"error": "unauthorized", "message": "the metrics token is required", "fields": []},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Response(metrics.exposition(), media_type=TEXT_FORMAT, headers={"Cache-Control": "no-store"})

    return Route("/metrics", serve_metrics, methods=["GET"], include_in_schema=False)


class Observe:
    """ASGI middleware, outermost: a request id, the request's metrics, and its access log line.

    The request id is the caller's ``X-Request-ID`` when it is a short plain token (a load balancer's),
    else a new random one; it is answered in ``X-Request-ID`` and is on every log line the request
    causes. The access line has the method, the path (without its query), the route, the status, the
    milliseconds, the client address and, for a check, the verdict; never a header or a body.
    FastAPI names the route of its own routes only; ``templates`` gives the plain Starlette routes'
    (endpoint → path template).
    """

    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        metrics: Metrics,
        templates: Mapping[object, str],
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, timed and identified."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _request_id(scope)
        reset = REQUEST_ID.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id  # for an error answered outside this middleware
        status = 500
        header = (b"x-request-id", request_id.encode())

        async def send_identified(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_identified)
        finally:
            self._record(scope, status, time.perf_counter() - start)
            REQUEST_ID.reset(reset)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or self.templates.get(scope.get("endpoint"), "unmatched")
        method = scope["method"] if scope["method"] in METHODS else "other"
        self.metrics.requests.labels(route, method, str(status)).inc()
        self.metrics.request_seconds.labels(route, method).observe(seconds)
        if access_log.isEnabledFor(logging.INFO):
            fields: dict[str, Any] = {
                "method": method,
                "path": scope["path"][:120],
                "route": route,
                "status": status,
                "ms": round(seconds * 1000, 2),
                "client": (scope.get("client") or ("", 0))[0],
            }
            verdict = scope.get("state", {}).get("verdict")
            if verdict is not None:
                fields["verdict"] = verdict
            access_log.info("%s %s %d", method, route, status, extra={"fields": fields})


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _INCOMING_ID.fullmatch(text):
                return text
            break
    return secrets.token_hex(8)


def note_verdict(scope: Scope, metrics: Metrics, result: VerificationResult, via: str, seconds: float) -> None:
    """Count a verdict, and leave it for the request's access line."""
    metrics.verified(result, via, seconds)
    scope.setdefault("state", {})["verdict"] = result.verdict.value


def route_templates(routes: Iterable[BaseRoute]) -> dict[object, str]:
    """Each plain route's endpoint and its path template (the first, where several share an endpoint)."""
    templates: dict[object, str] = {}
    for route in routes:
        if isinstance(route, Route) and not isinstance(route, APIRoute):
            templates.setdefault(route.endpoint, route.path)
    return templates
