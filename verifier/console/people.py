"""The people of an issuer (or the operator's staff): invited by an admin, disabled by one; and the jobs' progress.

An invitation is shown once, as a link whose token rides in the #fragment (never sent to a server, so never
in a log): the admin hands it to the person, who chooses a password on the page it opens.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from verifier.api.deps import ServicesDep
from verifier.console.session import MANAGES, SignedIn, check_form, issuer_of, require
from verifier.console.web import PREFIX, ConsoleError, Page, see_other
from verifier.store.records import Conflict, NotFound
from verifier.store.users import AccountRefused, Session, UserRole

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Field = Annotated[str, Form(max_length=300)]
ISSUER_ROLES = (UserRole.ADMIN, UserRole.CLERK, UserRole.AUDITOR)


def invitation_link(public_url: str, token: str) -> str:
    """The link that opens the invitation's page (its token in the #fragment)."""
    return f"{public_url}{PREFIX}/welcome#{token}"


def _people_page(request: Request, svc: ServicesDep, session: Session, status: int = 200, **shown: str) -> Response:
    require(session, MANAGES)
    people = svc.registry.users.of(session.user.issuer_id, svc.clock())
    roles = [UserRole.OPERATOR, *ISSUER_ROLES] if session.user.role is UserRole.OPERATOR else list(ISSUER_ROLES)
    context = {"invited": "", "link": "", "error": "", **shown}
    return Page(request, session).render("people.html.j2", status, people=people, roles=[r.value for r in roles],
                                         **context)  # fmt: skip


@router.get("/people")
def people_page(request: Request, svc: ServicesDep, session: SignedIn) -> Response:
    """The issuer's people (the operator's staff), and the invitation form."""
    return _people_page(request, svc, session)


@router.post("/people")
def invite(
    request: Request, svc: ServicesDep, session: SignedIn,
    email: Field = "", name: Field = "", role: Field = "", issuer: Field = "", form: Field = "",
) -> Response:  # fmt: skip
    """Invite a person: the invitation's link shown once."""
    check_form(request, session.csrf, form)
    require(session, MANAGES)
    chosen = next((r for r in UserRole if r.value == role), None)
    if session.user.role is UserRole.OPERATOR:  # the operator's staff invite their own, or an issuer's admin
        issuer_id = issuer.strip() or None
        if issuer_id is not None and (len(issuer_id) > 40 or not svc.registry.issuers.exists(issuer_id)):
            return _people_page(request, svc, session, 422, error="no_such_issuer")
    else:
        issuer_id = session.user.issuer_id
        if chosen is UserRole.OPERATOR:
            chosen = None
    if chosen is None:
        return _people_page(request, svc, session, 422, error="choose_role")
    try:
        user, token = svc.registry.users.invite(session.user.actor, issuer_id, email, name, chosen, svc.clock())
    except AccountRefused:
        return _people_page(request, svc, session, 422, error="invitation_refused")
    except Conflict:
        return _people_page(request, svc, session, 409, error="email_taken")
    return _people_page(request, svc, session, 201, invited=user.email,
                        link=invitation_link(svc.settings.public_url, token))  # fmt: skip


@router.post("/people/{user_id}/disable")
def disable(user_id: str, request: Request, svc: ServicesDep, session: SignedIn, form: Field = "") -> Response:
    """Disable a person: signed out at once, never again signed in."""
    check_form(request, session.csrf, form)
    require(session, MANAGES)
    if user_id == session.user.id:
        raise ConsoleError(409, "not_yourself")
    try:
        svc.registry.users.disable(session.user.actor, session.user.issuer_id, user_id[:20], svc.clock())
    except NotFound:
        raise ConsoleError(404, "not_found") from None
    return see_other(f"{PREFIX}/people")


@router.get("/jobs")
def jobs_page(request: Request, svc: ServicesDep, session: SignedIn) -> Response:
    """The issuer's recent jobs with their progress (the page refreshes itself while one runs)."""
    jobs = svc.registry.jobs.recent(issuer_of(session))
    running = any(j.state in ("queued", "running") for j in jobs)
    return Page(request, session).render("jobs.html.j2", jobs=jobs, running=running)
