"""The certification body's desk: server-rendered pages for the people who issue (clerks, admins, auditors).

:func:`install` adds the console's routes and its refusal pages to the service's app.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from verifier.console import auth, certificates, imports, issue, letterhead, people, status
from verifier.console.web import PREFIX, ConsoleError, SignInFirst, refused_page, sign_in_first, static

__all__ = ["ConsoleError", "install"]


def install(app: FastAPI) -> None:
    """Serve the console under ``/console``."""
    routers = (auth, certificates, status, people, imports, letterhead, issue)
    for router in (r.router for r in routers):
        app.include_router(router)
    app.add_api_route(f"{PREFIX}/static/{{name}}", static, methods=["GET"], include_in_schema=False)

    @app.exception_handler(ConsoleError)
    async def _refused(request: Request, exc: ConsoleError) -> Response:
        return refused_page(request, exc)

    @app.exception_handler(SignInFirst)
    async def _sign_in(_: Request, exc: SignInFirst) -> Response:
        return sign_in_first(exc)
