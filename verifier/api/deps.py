"""What every route needs, injected: the services, the clock, and the caller's principal."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from verifier.api.observe import Metrics
from verifier.check import SealCache
from verifier.config import Settings
from verifier.issuing import PdfMaker
from verifier.pdfread import FileReader
from verifier.store.registry import Principal, Registry, Role
from verifier.trust import TrustList

TRUST_LIST_TTL = 30.0
log = logging.getLogger("verifier.auth")


@dataclass
class TrustCache:
    """The trust list for online checks, rebuilt every ``ttl`` seconds or on demand (another replica's key).

    It keeps withdrawn keys: online, only a seal the registry issued can be valid.
    """

    registry: Registry
    public_urls: tuple[str, ...]
    clock: Callable[[], datetime]
    ttl: float = TRUST_LIST_TTL
    _list: TrustList | None = None
    _built: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> TrustList:
        """The cached trust list, rebuilt when older than ``ttl``."""
        current = self._list
        if current is None or time.monotonic() - self._built > self.ttl:
            return self.refresh()
        return current

    def refresh(self, min_age: float = 0.0) -> TrustList:
        """Rebuild now, unless the list is younger than ``min_age`` seconds (to bound the rebuilds)."""
        with self._lock:
            if self._list is not None and time.monotonic() - self._built < min_age:
                return self._list
            self._list = self.registry.trust_list(self.public_urls, self.clock(), withdrawn=True)
            self._built = time.monotonic()
            return self._list


@dataclass
class Services:
    """Everything the routes use, built once by :func:`verifier.api.app.create_app`."""

    settings: Settings
    registry: Registry
    trust: TrustCache
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    seals: SealCache | None = field(default_factory=SealCache)
    pdfs: PdfMaker | None = None
    files: FileReader = field(default_factory=FileReader)
    metrics: Metrics = field(default_factory=Metrics)


async def services(request: Request) -> Services:
    """The services of the running app (async: a plain function would cost a threadpool hop per request)."""
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]
_bearer = HTTPBearer(auto_error=False, description="A token from the operator (issuer tokens) or the admin token.")


def _principal(
    request: Request, svc: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    target = f"{request.method} {request.url.path}"
    if credentials is None or credentials.scheme.lower() != "bearer":
        svc.metrics.auth_refused.labels("missing").inc()
        svc.registry.record_refusal("anonymous", "auth.missing", target, svc.clock(), {})
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    principal = svc.registry.authenticate(credentials.credentials)
    if principal is None:
        svc.metrics.auth_refused.labels("unknown").inc()
        log.warning("refused an unknown or withdrawn token", extra={"fields": {"target": target}})
        svc.registry.record_refusal("anonymous", "auth.refused", target, svc.clock(), {})
        raise HTTPException(401, "unknown or withdrawn token", headers={"WWW-Authenticate": "Bearer"})
    return principal


def _requiring(role: Role, words: str) -> Callable[..., Principal]:
    """A dependency: the caller, who must hold a token of ``role`` (401 without a live token, 403 with another)."""

    def principal_with_role(
        request: Request, svc: ServicesDep, principal: Annotated[Principal, Depends(_principal)]
    ) -> Principal:
        if principal.role is not role:
            target = f"{request.method} {request.url.path}"
            svc.metrics.auth_refused.labels("forbidden").inc()
            svc.registry.record_refusal(principal.token_id, "auth.forbidden", target, svc.clock(), {})
            raise HTTPException(403, f"this needs {words}")
        return principal

    return principal_with_role


IssuerDep = Annotated[Principal, Depends(_requiring(Role.ISSUER, "an issuer token"))]
OperatorDep = Annotated[Principal, Depends(_requiring(Role.OPERATOR, "the operator's token"))]
