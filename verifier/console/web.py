"""The console's pages as HTTP: templates, words and languages, headers, refusals, its stylesheet and script.

The pages are server-rendered (Jinja, autoescaped) with a stylesheet and one small script of the service's own,
nothing from anywhere else (the Content-Security-Policy allows only this origin). Words live in
``templates/console/locales/``, one catalogue per language of the public pages, the same keys in each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from verifier.api.i18n import LANGUAGES, Messages, catalogue, choose
from verifier.api.scanner import ASSETS
from verifier.resources import TEMPLATES
from verifier.store.users import Session

CONSOLE = TEMPLATES / "console"
PREFIX = "/console"
LANGUAGE_COOKIE = "console-lang"
JINJA = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(CONSOLE)), autoescape=True, undefined=jinja2.StrictUndefined
)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STATIC = {"console.css": CONSOLE / "console.css", "console.js": CONSOLE / "console.js"}


class ConsoleError(Exception):
    """A refusal shown as a page: ``status`` and the catalogue's ``key`` (``fields`` fill it in)."""

    def __init__(self, status: int, key: str, **fields: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.fields = fields


class SignInFirst(Exception):
    """No live session: the page sends the visitor to sign in, and back here after."""

    def __init__(self, back: str) -> None:
        super().__init__(back)
        self.back = back


def language(request: Request) -> str:
    """The console's language: ``?lang=``, then the one chosen before (a cookie), then ``Accept-Language``."""
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return choose(asked, request.headers.get("accept-language"))


def words(language: str) -> Messages:
    """The console's messages in ``language``."""
    return Messages(language, CONSOLE)


@dataclass(frozen=True)
class Page:
    """What every page is rendered with: the request, its language's words, the signed-in person (or None)."""

    request: Request
    session: Session | None

    def render(self, template: str, status: int = 200, **context: object) -> HTMLResponse:
        """The page ``template`` in the visitor's language, with the console's headers."""
        lang = language(self.request)
        m = words(lang)
        body = JINJA.get_template(template).render(
            m=m, session=self.session, csrf=self.session.csrf if self.session else "",
            path=self.request.url.path, languages=[(code, catalogue(code, CONSOLE)["language"]) for code in LANGUAGES],
            **context,
        )  # fmt: skip
        response = HTMLResponse(body, status, headers={**HEADERS, "Content-Language": lang})
        if self.request.query_params.get("lang") in LANGUAGES:  # remembered for the next pages
            response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, path=PREFIX, samesite="lax")
        return response


def see_other(location: str) -> Response:
    """After a form: the browser asks for ``location`` (303), so reloading does not post again."""
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def refused_page(request: Request, exc: ConsoleError) -> HTMLResponse:
    """A refusal in the visitor's language."""
    m = words(language(request))
    return Page(request, None).render("message.html.j2", exc.status, title=m("error_title"),
                                      message=m(exc.key, **exc.fields), back=PREFIX)  # fmt: skip


def sign_in_first(exc: SignInFirst) -> Response:
    """Send a visitor without a session to sign in, and back after."""
    return see_other(f"{PREFIX}/sign-in?next={exc.back}")


async def static(request: Request, name: str) -> Response:
    """The console's stylesheet or script (compressed, cached by ETag)."""
    path: Path | None = STATIC.get(name)
    if path is None:
        raise ConsoleError(404, "not_found")
    asset = await run_in_threadpool(ASSETS.get, path)
    return asset.response(request, {"Cache-Control": "no-cache"})
