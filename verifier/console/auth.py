"""Signing in and out, and taking an invitation (choosing a password).

The routes are plain functions: a password's Argon2id hash takes tens of milliseconds, in a worker
thread, never on the event loop. A client that keeps failing is held back (the service's refusal
limits, as for tokens) before any password is tried; each account locks itself after 20 wrong in a row.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from verifier.api.deps import ServicesDep
from verifier.api.ratelimit import client_of
from verifier.console.session import (
    check_form,
    current,
    forget_session,
    form_cookie,
    form_token,
    keep_form_token,
    keep_session,
    session_cookie,
)
from verifier.console.web import PREFIX, ConsoleError, Page, language, see_other, words
from verifier.store.records import NotFound
from verifier.store.users import AccountRefused, Session, SignInRefused, UserRole

router = APIRouter(prefix=PREFIX, include_in_schema=False)
_BACK = re.compile(r"/console(?:/[A-Za-z0-9_.~%/-]*)?(?:\?[A-Za-z0-9_.~%=&+-]*)?")
Field = Annotated[str, Form(max_length=300)]


def home_of(session: Session) -> str:
    """Where a person lands: the operator's staff on their people, everyone else on the certificates."""
    return f"{PREFIX}/people" if session.user.role is UserRole.OPERATOR else f"{PREFIX}/certificates"


def _back(wanted: str) -> str | None:
    """A page of the console to return to after signing in (nothing else: never another site)."""
    path = wanted.split("?")[0].lower()
    plain = "//" not in path and "/." not in path and "%2e" not in path and "%2f" not in path and "%5c" not in path
    return wanted if len(wanted) <= 500 and _BACK.fullmatch(wanted) and plain else None


@router.get("")
def home(request: Request, svc: ServicesDep) -> Response:
    """The console's front door: one's first page when signed in, else the sign-in."""
    found = current(request, svc)
    return see_other(home_of(found) if found else f"{PREFIX}/sign-in")


@router.get("/sign-in")
def sign_in_page(request: Request, svc: ServicesDep) -> Response:
    """The sign-in form (``?next=``: the console's page to return to)."""
    token = form_token(request, svc.settings)
    back = _back(request.query_params.get("next", "")) or ""
    response = Page(request, None).render("sign_in.html.j2", form=token, back=back, error="", email="")
    keep_form_token(response, svc.settings, token)
    return response


@router.post("/sign-in")
def sign_in(
    request: Request, svc: ServicesDep, email: Field = "", password: Field = "", form: Field = "", back: Field = ""
) -> Response:
    """Sign in: a session cookie and on to the page asked for; the same refusal whatever was wrong."""
    check_form(request, request.cookies.get(form_cookie(svc.settings), ""), form)
    client = client_of(request.scope)
    if svc.refusals is not None and (wait := svc.refusals.wait(client)) is not None:
        raise ConsoleError(429, "too_many_refused", seconds=str(wait))
    try:
        session, token = svc.registry.users.sign_in(email, password, svc.clock())
    except SignInRefused:
        if svc.refusals is not None:
            svc.refusals.refused(client, "anonymous", "console.sign_in_refused", f"{PREFIX}/sign-in")
        return Page(request, None).render("sign_in.html.j2", 401, form=form, back=_back(back) or "",
                                          error="sign_in_refused", email=email[:254])  # fmt: skip
    response = see_other(_back(back) or home_of(session))
    keep_session(response, svc.settings, token)
    return response


@router.post("/sign-out")
def sign_out(request: Request, svc: ServicesDep, form: Field = "") -> Response:
    """End the session here and now: its cookie opens nothing after."""
    found = current(request, svc)
    if found is not None:
        check_form(request, found.csrf, form)
        svc.registry.users.sign_out(request.cookies[session_cookie(svc.settings)], svc.clock())
    response = see_other(f"{PREFIX}/sign-in")
    forget_session(response, svc.settings)
    return response


@router.get("/welcome")
def welcome_page(request: Request, svc: ServicesDep) -> Response:
    """The page an invitation's link opens: the invitation rides in the link's #fragment, never sent to a server."""
    token = form_token(request, svc.settings)
    response = Page(request, None).render("welcome.html.j2", form=token, error="", error_fields={})
    keep_form_token(response, svc.settings, token)
    return response


@router.post("/welcome")
def welcome(
    request: Request,
    svc: ServicesDep,
    invitation: Field = "",
    password: Field = "",
    again: Field = "",
    form: Field = "",
) -> Response:
    """Take an invitation: the password chosen (twice), then sign in."""
    check_form(request, request.cookies.get(form_cookie(svc.settings), ""), form)
    page = Page(request, None)
    if password != again:
        return page.render("welcome.html.j2", 422, form=form, error="passwords_differ", error_fields={})
    try:
        user = svc.registry.users.accept(invitation.strip(), password, svc.clock())
    except AccountRefused:
        return page.render("welcome.html.j2", 422, form=form, error="password_length", error_fields={})
    except NotFound:
        return page.render("welcome.html.j2", 404, form=form, error="invitation_unknown", error_fields={})
    done = page_words(request, "welcome_done", email=user.email)
    title = page_words(request, "welcome_done_title")
    return page.render("message.html.j2", title=title, message=done, back=f"{PREFIX}/sign-in")


def page_words(request: Request, key: str, **fields: str) -> str:
    """A message of the console's catalogue in the visitor's language."""
    return words(language(request))(key, **fields)
