"""Status changes for a pasted list of certificate numbers, checked and confirmed before they are made.

The check says what will change, what cannot (its state) and what is not found; once confirmed, each
certificate is changed on its own with the same reason.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from verifier.api.deps import ServicesDep
from verifier.api.issuer import change_status
from verifier.certificate.status import REASONS, TRANSITIONS, Action
from verifier.console.session import CHANGES, SignedIn, check_form, issuer_of, require
from verifier.console.web import PREFIX, ConsoleError, Page
from verifier.store.records import Conflict, NotFound
from verifier.store.users import Session

router = APIRouter(prefix=PREFIX, include_in_schema=False)
MAX_NUMBERS = 1000
Field = Annotated[str, Form(max_length=2000)]
Numbers = Annotated[str, Form(max_length=MAX_NUMBERS * 42)]
_SPLIT = re.compile(r"[\s,;，；、]+")


def numbers_of(pasted: str) -> list[str]:
    """The numbers of a pasted list (one a line, or separated by commas or semicolons), each once, in order."""
    seen: dict[str, None] = {}
    for part in _SPLIT.split(pasted):
        part = part.strip().upper()
        if part:
            seen.setdefault(part[:40], None)
    return list(seen)


def _chosen(action: str, reason: str) -> Action:
    found = next((a for a in Action if a.value == action), None)
    if found is None or reason not in REASONS[found]:
        raise ConsoleError(422, "choose_action")
    return found


@router.get("/status")
def status_page(request: Request, session: SignedIn) -> Response:
    """Step one: paste the numbers, choose the action and its reason."""
    issuer_of(session)
    require(session, CHANGES)
    return Page(request, session).render("status.html.j2", step="paste", numbers="", reasons=_reasons(),
                                         action="", reason="", note="", plan=None, done=None)  # fmt: skip


def _reasons() -> dict[str, tuple[str, ...]]:
    return {a.value: REASONS[a] for a in Action}


def _plan(svc: ServicesDep, session: Session, numbers: list[str], action: Action) -> dict[str, list[tuple[str, str]]]:
    """Each number as will_change (its id), cannot (its state) or not_found."""
    found = svc.registry.desk.by_numbers(issuer_of(session), numbers)
    plan: dict[str, list[tuple[str, str]]] = {"will_change": [], "cannot": [], "not_found": []}
    for number in numbers:
        if number not in found:
            plan["not_found"].append((number, ""))
        elif found[number][1] in TRANSITIONS[action][0]:
            plan["will_change"].append((number, found[number][0]))
        else:
            plan["cannot"].append((number, found[number][1].value))
    return plan


@router.post("/status")
def status_check(
    request: Request, svc: ServicesDep, session: SignedIn,
    numbers: Numbers = "", action: Field = "", reason: Field = "", note: Field = "", form: Field = "",
    confirm: Field = "",
) -> Response:  # fmt: skip
    """Step two (``confirm`` empty): what the change would do. Step three (``confirm=yes``): do it."""
    check_form(request, session.csrf, form)
    require(session, CHANGES)
    chosen = _chosen(action, reason)
    listed = numbers_of(numbers)
    if not listed:
        raise ConsoleError(422, "paste_numbers")
    if len(listed) > MAX_NUMBERS:
        raise ConsoleError(422, "too_many_numbers", most=str(MAX_NUMBERS))
    plan = _plan(svc, session, listed, chosen)
    page = Page(request, session)
    context: dict[str, object] = {"numbers": "\n".join(listed), "reasons": _reasons(), "action": chosen.value,
                                  "reason": reason, "note": note.strip()[:500], "plan": plan}  # fmt: skip
    if confirm != "yes":
        return page.render("status.html.j2", 200, step="confirm", done=None, **context)
    done: dict[str, list[str]] = {"changed": [], "failed": []}
    for number, certificate_id in plan["will_change"]:
        try:
            change_status(svc, session.principal, certificate_id, chosen, reason, note.strip()[:500])
            done["changed"].append(number)
        except (Conflict, NotFound):  # changed by someone else since the check
            done["failed"].append(number)
    return page.render("status.html.j2", 200, step="done", done=done, **context)
