"""Who is signed in: the session cookie, the form token against cross-site posts, what each role may do.

The session cookie is HttpOnly and SameSite=Strict, and Secure with the ``__Host-`` prefix when the service
is served over https. Every form carries a token: the session's own once signed in; before (the sign-in and
invitation forms) a random one also set in a cookie of its own, the two compared (double submit). A post a
browser marks as cross-site (``Sec-Fetch-Site``) is refused whatever it carries.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response

from verifier.api.deps import Services, ServicesDep
from verifier.config import Settings
from verifier.console.web import ConsoleError, SignInFirst
from verifier.store.users import Session, UserRole

# What each role may do beyond reading its issuer's certificates.
CHANGES = frozenset({UserRole.ADMIN, UserRole.CLERK})  # issue, change status, import, upload
MANAGES = frozenset({UserRole.ADMIN, UserRole.OPERATOR})  # invite and disable people
READS = frozenset({UserRole.ADMIN, UserRole.CLERK, UserRole.AUDITOR})  # an issuer's certificates and jobs


def secure(settings: Settings) -> bool:
    """Whether cookies are Secure (the service is served over https)."""
    return settings.public_url.startswith("https://")


def session_cookie(settings: Settings) -> str:
    """The session cookie's name (``__Host-`` prefixed over https)."""
    return "__Host-console-session" if secure(settings) else "console-session"


def form_cookie(settings: Settings) -> str:
    """The pre-sign-in form token's cookie name."""
    return "__Host-console-form" if secure(settings) else "console-form"


def current(request: Request, svc: Services) -> Session | None:
    """The live session of the request's cookie, or None."""
    token = request.cookies.get(session_cookie(svc.settings))
    return svc.registry.users.session(token, svc.clock()) if token else None


def _signed_in(request: Request, svc: ServicesDep) -> Session:
    found = current(request, svc)
    if found is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInFirst(quote(back, safe=""))
    return found


SignedIn = Annotated[Session, Depends(_signed_in)]


def require(session: Session, roles: frozenset[UserRole]) -> None:
    """Refuse (403) a person whose role is not among ``roles``."""
    if session.user.role not in roles:
        raise ConsoleError(403, "not_allowed")


def issuer_of(session: Session) -> str:
    """The issuer the person works for; the operator's staff have none and are refused the issuer's pages."""
    require(session, READS)
    assert session.user.issuer_id is not None
    return session.user.issuer_id


def check_form(request: Request, expected: str, given: str) -> None:
    """Refuse (403) a post without this page's form token, or one the browser says came from another site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise ConsoleError(403, "form_refused")
    if not expected or not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise ConsoleError(403, "form_refused")


def form_token(request: Request, settings: Settings) -> str:
    """The form token of a page shown before sign-in: the one in the visitor's cookie, or a new one."""
    found = request.cookies.get(form_cookie(settings), "")
    return found if 20 <= len(found) <= 100 else secrets.token_urlsafe(32)


def keep_form_token(response: Response, settings: Settings, token: str) -> None:
    """Set the pre-sign-in form token's cookie."""
    response.set_cookie(form_cookie(settings), token, path="/", httponly=True, samesite="strict",
                        secure=secure(settings))  # fmt: skip


def keep_session(response: Response, settings: Settings, token: str) -> None:
    """Set the session cookie: HttpOnly, SameSite=Strict, Secure over https; it lasts as the browser runs."""
    response.set_cookie(session_cookie(settings), token, path="/", httponly=True, samesite="strict",
                        secure=secure(settings))  # fmt: skip


def forget_session(response: Response, settings: Settings) -> None:
    """Delete the session cookie."""
    response.delete_cookie(session_cookie(settings), path="/", httponly=True, samesite="strict",
                           secure=secure(settings))  # fmt: skip
