"""What every route needs, injected: the services, the clock, and the caller's principal."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from verifier.api.observe import Metrics
from verifier.api.ratelimit import RateLimiter, client_of
from verifier.api.refusals import RefusalLog
from verifier.config import Settings
from verifier.issuing.jobs import JobRunner
from verifier.issuing.recipe import PdfMaker
from verifier.ledger.log import Ledger
from verifier.needs import Readiness
from verifier.reads.credentials import CredentialCache, RegisteredCredentials
from verifier.reads.lists import StatusBoard
from verifier.reads.recognitions import RecognitionBoard
from verifier.reads.seals import KnownSeals
from verifier.store import log as log_events
from verifier.store.records import Principal, Role
from verifier.store.registry import Registry
from verifier.tlog.proof import LogPolicy
from verifier.trust.trustlist import DEFAULT_VALIDITY, FORMAT, TrustList
from verifier.uploads.readers import UploadReaders
from verifier.verification.check import SealCache
from verifier.watches.dispatch import Dispatcher

TRUST_LIST_TTL = 30.0
TRUST_DOCUMENT_TTL = 60.0
log = logging.getLogger("verifier.auth")


@dataclass
class TrustCache:
    """The trust list for online checks, rebuilt every ``ttl`` seconds (in the background) or on demand.

    It keeps withdrawn keys: online, only a seal the registry issued can be valid.
    """

    registry: Registry
    public_urls: tuple[str, ...]
    clock: Callable[[], datetime]
    ttl: float = TRUST_LIST_TTL
    validity: timedelta = DEFAULT_VALIDITY
    _list: TrustList | None = None
    _built: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    log: Callable[[datetime], LogPolicy] | None = None  # the log's policy, named in the published list (format 4)
    _document: dict[int, tuple[bytes, str]] | None = None
    _document_slot: int = -1
    _logged_version: int = -1  # the highest version entered in the log from here

    def get(self) -> TrustList:
        """The cached trust list (no query, once there is one: the event loop's).

        It is rebuilt by the service's background task every ``ttl`` (:meth:`refresh_if_old`), and at once
        after a change made here or a seal signed by a key it does not know.
        """
        current = self._list
        return current if current is not None else self.refresh()

    def refresh_if_old(self) -> None:
        """Rebuild when older than ``ttl`` (blocking: a worker thread's work)."""
        if self._list is None or time.monotonic() - self._built > self.ttl:
            self.refresh()

    def refresh(self, min_age: float = 0.0) -> TrustList:
        """Rebuild now, unless the list is younger than ``min_age`` seconds (to bound the rebuilds)."""
        with self._lock:
            if self._list is not None and time.monotonic() - self._built < min_age:
                return self._list
            self._list = self.registry.issuers.trust_list(self.public_urls, self.clock(), withdrawn=True)
            self._built = time.monotonic()
            self._document = None  # a change (a key, a withdrawal) shows in the published list at once
            return self._list

    def document(self, format: int = FORMAT) -> tuple[bytes, str]:
        """The published, signed trust list and its ETag, in ``format`` (2, 3: older), made at most once per minute.

        Its ``issued_at`` is the start of the minute, so every replica signs the very same bytes in a
        minute (Ed25519 is deterministic) and answers the same ETag.
        """
        now = self.clock()
        slot = int(now.timestamp() // TRUST_DOCUMENT_TTL)
        cached = self._document
        if cached is not None and slot == self._document_slot and format in cached:
            return cached[format]
        issued_at = datetime.fromtimestamp(slot * TRUST_DOCUMENT_TTL, UTC)
        listed = self.registry.issuers.trust_list(self.public_urls, issued_at, validity=self.validity)
        if self.log is not None:
            listed = replace(listed, log=self.log(issued_at))
            self._log_version(listed, issued_at)
        document = listed.to_document(self.registry.issuers.operator_key(), format)
        made = (document, f'"{hashlib.sha256(document).hexdigest()[:32]}"')
        kept = cached if cached is not None and slot == self._document_slot else {}
        self._document, self._document_slot = {**kept, format: made}, slot
        return made

    def _log_version(self, listed: TrustList, at: datetime) -> None:
        """Enter a version of the list not in the transparency log yet (once, whichever replica publishes it)."""
        if listed.version <= self._logged_version:
            return
        try:
            self.registry.log.append_once(log_events.trust_list(at, listed.version, listed.digest()), at)
        except Exception:  # the list is served all the same; the next minute's document tries again
            log.exception("cannot enter trust list version %d in the log", listed.version)
            return
        self._logged_version = listed.version


@dataclass
class Services:
    """Everything the routes use, built once by :func:`verifier.server.app.create_app`."""

    settings: Settings
    registry: Registry
    trust: TrustCache
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    seals: SealCache | None = field(default_factory=SealCache)
    pdfs: PdfMaker | None = None
    jobs: JobRunner | None = None  # runs the queued batches (started with the app)
    files: UploadReaders = field(default_factory=UploadReaders)
    metrics: Metrics = field(default_factory=Metrics)
    refusals: RefusalLog | None = None
    readiness: Readiness | None = None  # what issuance needs from the system (only where PDFs are made)
    # The public reads from memory (made by create_app): the signed status lists, the registry's word on
    # seals scanned before, the credentials asked for lately.
    board: StatusBoard = field(init=False)
    known: KnownSeals = field(init=False)
    recognised: RecognitionBoard = field(init=False)  # the recognitions of certificates scanned lately
    ledger: Ledger = field(init=False)  # the transparency log
    credentials: CredentialCache = field(default_factory=CredentialCache)
    registered: RegisteredCredentials = field(default_factory=RegisteredCredentials)  # credentials checked lately
    # Per-client limits of the customs desk: items a batch checks, reports signed (None: unlimited).
    batch_limit: RateLimiter | None = None
    report_limit: RateLimiter | None = None
    watch_limit: RateLimiter | None = None
    dispatcher: Dispatcher = field(init=False)  # the watches' deliveries
    # /status/index.json's last answer: (the lists it names; its body).
    status_index: tuple[list[tuple[str, int]], bytes] | None = None


async def services(request: Request) -> Services:
    """The services of the running app (async: a plain function would cost a threadpool hop per request)."""
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]
_QUERY_NAMES = "_verifier_query_names"


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route takes, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names


async def known_query(request: Request) -> None:
    """Refuse (422) a query parameter the API route does not take, rather than ignore it.

    An ERP that asks ``?numbr=X`` and acts on the first certificate of an unfiltered list would change
    the wrong one. Pages that people open (not in the API's schema) keep ignoring what messaging apps
    append to links (``?from=singlemessage``). Async: no threadpool hop for a check this small.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema or not request.scope.get("query_string"):
        return
    names: frozenset[str] | None = getattr(route, _QUERY_NAMES, None)
    if names is None:  # kept on the route itself: it lives as long as the app does
        names = frozenset(_query_names(route.dependant))
        setattr(route, _QUERY_NAMES, names)
    unknown = sorted({name for name in request.query_params if name not in names})
    if unknown:
        takes = f"it takes {', '.join(sorted(names))}" if names else "it takes none"
        raise RequestValidationError(
            [{"type": "query_unknown", "loc": ("query", name), "input": request.query_params[name],
              "msg": f"is not a query parameter of {request.method} {route.path} ({takes})"} for name in unknown]
        )  # fmt: skip


_bearer = HTTPBearer(auto_error=False, description="A token from the operator (issuer tokens) or the admin token.")


def _principal(
    request: Request, svc: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    client = client_of(request.scope)
    if svc.refusals is not None and (wait := svc.refusals.wait(client)) is not None:
        svc.metrics.auth_refused.labels("limited").inc()
        raise HTTPException(
            429, f"too many refused tokens from this client; try again in {wait} seconds", {"Retry-After": str(wait)}
        )
    if credentials is None or credentials.scheme.lower() != "bearer":
        svc.metrics.auth_refused.labels("missing").inc()
        _refused(svc, client, "anonymous", "auth.missing", request)
        given = request.headers.get("authorization")
        if given is None:
            words = "a token is required: send the header Authorization: Bearer <token>"
        else:  # never echo what was sent: it may be the token itself
            words = "the Authorization header must read Bearer <token> (the word Bearer, a space, then the token)"
        raise HTTPException(401, words, headers={"WWW-Authenticate": "Bearer"})
    principal = svc.registry.tokens.authenticate(credentials.credentials)
    if principal is None:
        svc.metrics.auth_refused.labels("unknown").inc()
        log.warning("refused an unknown or withdrawn token", extra={"fields": {"client": client}})
        _refused(svc, client, "anonymous", "auth.refused", request)
        raise HTTPException(401, "unknown or withdrawn token", headers={"WWW-Authenticate": "Bearer"})
    return principal


def _refused(svc: Services, client: str, actor: str, action: str, request: Request) -> None:
    if svc.refusals is not None:
        svc.refusals.refused(client, actor, action, f"{request.method} {request.url.path}")


def _requiring(role: Role, words: str) -> Callable[..., Principal]:
    """A dependency: the caller, who must hold a token of ``role`` (401 without a live token, 403 with another)."""

    def principal_with_role(
        request: Request, svc: ServicesDep, principal: Annotated[Principal, Depends(_principal)]
    ) -> Principal:
        if principal.role is not role:
            svc.metrics.auth_refused.labels("forbidden").inc()
            _refused(svc, client_of(request.scope), principal.token_id, "auth.forbidden", request)
            raise HTTPException(403, f"this needs {words}")
        return principal

    return principal_with_role


IssuerDep = Annotated[Principal, Depends(_requiring(Role.ISSUER, "an issuer token"))]
OperatorDep = Annotated[Principal, Depends(_requiring(Role.OPERATOR, "the operator's token"))]
