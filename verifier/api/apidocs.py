"""``/docs``: Swagger UI served by the service itself, from the fastapi-offline package's files. No CDN.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, which a certification body's network (or one in
mainland China) may not reach: the page stays blank. Here the two files it needs come from the
installed package, under ``/docs/assets/``, and the page's one inline script is allowed by its hash
in a Content-Security-Policy that allows nothing else from anywhere but the service.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def docs_routes(app: FastAPI) -> list[Route]:
    """``GET /docs`` and its assets, for ``app`` (created with ``docs_url=None``)."""
    html = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} — API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon.png",
    ).body
    text = bytes(html).decode("utf-8")
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(text)
    )
    headers = {
        "Content-Security-Policy": f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
    folder = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI 5 (OpenAPI 3.1), as the package ships it

    async def docs(_: Request) -> Response:
        return HTMLResponse(text, headers=headers)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response(status_code=404)
        return FileResponse(folder / name, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})

    return [Route("/docs", docs, methods=["GET"]), Route("/docs/assets/{name}", asset, methods=["GET"])]
