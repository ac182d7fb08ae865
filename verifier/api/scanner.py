"""``/scan``: the official scanner, an installable web app that reads QR codes and checks them on the device.

The page (``templates/scan.html.j2``), its modules (``web/scan/``) and the seal verifier
(``web/seal/``), the QR decoder and the Ed25519 fallback from npm (``node_modules/``, installed by
``make`` from the committed ``package-lock.json``, never copied into the repository), the service
worker that keeps all of them for offline use, the manifest and the icons. Files are read once and
kept in memory with their compressed forms (brotli where the browser takes it, else gzip) and an
ETag; compressing runs in the threadpool, never on the event loop. Only this page may compile
WebAssembly (``wasm-unsafe-eval``, for the decoder); scripts come from the service alone.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import brotli
from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from PIL import Image, ImageDraw
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import ServicesDep
from verifier.api.i18n import LANGUAGES, RIGHT_TO_LEFT, Messages, catalogue, choose
from verifier.api.page import JINJA
from verifier.trust.keys import public_key_pem

router = APIRouter(include_in_schema=False)

HERE = Path(__file__).resolve().parents[1]
# The scanner's own files and the seal verifier: inside the package (a wheel), or beside it (a checkout).
WEB = next((p for p in (HERE / "web", HERE.parent / "web") if (p / "scan" / "app.js").is_file()), HERE / "web")
# Each package, and the part of it the page loads (the QR reader alone of zxing-wasm's builds).
VENDOR = {"@noble/curves": ("",), "@noble/hashes": ("",),
          "zxing-wasm": ("dist/es/reader/index.js", "dist/es/share.js", "dist/reader/zxing_reader.wasm")}  # fmt: skip
DECODER = "/scan/vendor/zxing-wasm/dist/es/reader/index.js"
DECODER_WASM = "/scan/vendor/zxing-wasm/dist/reader/zxing_reader.wasm"
IMPORT_MAP = json.dumps(
    {"imports": {"@noble/curves/": "/scan/vendor/@noble/curves/", "@noble/hashes/": "/scan/vendor/@noble/hashes/"}},
    separators=(",", ":"),
)
_IMPORT_MAP_HASH = base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode()
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
               ".wasm": "application/wasm", ".css": "text/css; charset=utf-8"}  # fmt: skip
_FILE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")

SCAN_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; "
    f"script-src 'self' 'sha256-{_IMPORT_MAP_HASH}' 'wasm-unsafe-eval'; connect-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; style-src 'unsafe-inline'; "
    "manifest-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Permissions-Policy": "camera=(self)",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


BIG = 64 * 1024  # bytes above which the best brotli (seconds for the decoder) is left to a background thread


@dataclass(frozen=True)
class Asset:
    """A file as served: its bytes, their gzip and brotli forms, its type and its (weak) ETag."""

    body: bytes
    gzipped: bytes
    brotli: bytes
    media_type: str
    etag: str

    @classmethod
    def of(cls, body: bytes, media_type: str, quality: int = 11) -> Asset:
        """The asset of ``body``, compressed both ways (brotli at ``quality``)."""
        etag = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'  # weak: the same for every encoding
        return cls(body, gzip.compress(body, 9, mtime=0), brotli.compress(body, quality=quality), media_type, etag)

    def response(self, request: Request, headers: dict[str, str] | None = None) -> Response:
        """The asset in the best encoding the client takes; 304 for the copy it has."""
        common = {"ETag": self.etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache",
                  "X-Content-Type-Options": "nosniff", **(headers or {})}  # fmt: skip
        if self.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=common)
        accepted = {part.split(";")[0].strip() for part in request.headers.get("accept-encoding", "").split(",")}
        if "br" in accepted:
            return Response(self.brotli, media_type=self.media_type, headers={**common, "Content-Encoding": "br"})
        if "gzip" in accepted:
            return Response(self.gzipped, media_type=self.media_type, headers={**common, "Content-Encoding": "gzip"})
        return Response(self.body, media_type=self.media_type, headers=common)


class Assets:
    """Files read and compressed on first request, then kept (the set of files is small and fixed).

    A big file is served at once with a quick brotli, and its best brotli replaces it when a background
    thread has made it (the decoder's WebAssembly: 0.1 s against 5 s, 12% smaller).
    """

    def __init__(self) -> None:
        self._assets: dict[Path, Asset] = {}
        self._lock = threading.Lock()

    def get(self, path: Path) -> Asset:
        """The asset of the file at ``path``, read and compressed on first use."""
        found = self._assets.get(path)
        if found is None:
            body = path.read_bytes()
            media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
            found = Asset.of(body, media_type, 11 if len(body) <= BIG else 5)
            with self._lock:
                self._assets[path] = found
            if len(body) > BIG:
                threading.Thread(target=self._best, args=(path, body, media_type), daemon=True).start()
        return found

    def _best(self, path: Path, body: bytes, media_type: str) -> None:
        best = Asset.of(body, media_type)
        with self._lock:
            self._assets[path] = best


ASSETS = Assets()


def _inside(root: Path, relative: str) -> Path:
    """``root/relative`` when it is a file of an allowed kind inside ``root``; else 404."""
    if len(relative) > 200 or not _FILE.fullmatch(relative) or ".." in relative.split("/"):
        raise HTTPException(404, "no such file")
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()) or path.suffix not in MEDIA_TYPES or not path.is_file():
        raise HTTPException(404, "no such file")
    return path


async def _file(request: Request, root: Path, relative: str, headers: dict[str, str] | None = None) -> Response:
    asset = await run_in_threadpool(ASSETS.get, _inside(root, relative))
    return asset.response(request, headers)


def strings(language: str) -> dict[str, str]:
    """The words the page's script needs, in ``language`` (the verdicts, the fields, the scanner's own)."""
    words = catalogue(language)
    verdicts = {"valid", "expired", "revoked", "suspended", "invalid", "malformed", "unknown_issuer", "unregistered",
                "not_yet_valid"}  # fmt: skip
    fields = {"holder", "products", "models", "hs_code", "standards", "markets", "number", "issuer", "quantity",
              "purpose", "port_of_entry", "declared_value", "validity", "validity_range", "key_withdrawn",
              "recognitions"}  # fmt: skip
    wanted = verdicts | fields
    prefixes = ("scan_", "scheme_", "reason_", "purpose_", "next_", "unit_", "rec_", "log_", "verdict_")
    return {k: v for k, v in words.items() if k in wanted or k.startswith(prefixes)}


_pages: dict[tuple[str, str, str], Asset] = {}


def _page(language: str, operator_pem: str, public_url: str) -> Asset:
    """The page in ``language``, rendered and compressed once per language and operator key."""
    key = (language, operator_pem, public_url)
    found = _pages.get(key)
    if found is None:
        config = {
            "language": language,
            "public_urls": [public_url],  # the official origin, even before a trust list is at hand
            "operator_keys": [operator_pem],
            "strings": strings(language),
            "decoder": DECODER,
            "decoder_wasm": DECODER_WASM,
            "trust_list_max_age_days": 7,
            "status_lists_max_age_hours": 24,
        }
        body = JINJA.get_template("scan.html.j2").render(
            m=Messages(language),
            direction="rtl" if language in RIGHT_TO_LEFT else "ltr",
            config=json.dumps(config, ensure_ascii=False).replace("<", "\\u003c"),
            import_map=IMPORT_MAP,
            languages=[(code, catalogue(code)["language"]) for code in LANGUAGES],
        )
        found = _pages[key] = Asset.of(body.encode(), "text/html; charset=utf-8")
    return found


@router.get("/scan")
async def scan_page(request: Request, svc: ServicesDep) -> Response:
    """The scanner, in the visitor's language, with the operator key that signs the trust list pinned in it."""
    language = choose(request.query_params.get("lang"), request.headers.get("accept-language"))
    operator = await run_in_threadpool(svc.registry.issuers.operator_key)
    pem = public_key_pem(operator.record.public_key).decode("ascii")
    page = await run_in_threadpool(_page, language, pem, svc.settings.public_url)
    return page.response(
        request, {**SCAN_HEADERS, "Content-Language": language, "Vary": "Accept-Encoding, Accept-Language"}
    )


@router.get("/scan/app/{name}")
async def scan_module(name: Annotated[str, PathParam(max_length=60)], request: Request) -> Response:
    """The scanner's own modules (web/scan/)."""
    return await _file(request, WEB / "scan", name)


@router.get("/scan/seal/{name}")
async def seal_module(name: Annotated[str, PathParam(max_length=60)], request: Request) -> Response:
    """The seal verifier's modules (web/seal/), as the page imports them."""
    return await _file(request, WEB / "seal", name)


@router.get("/scan/vendor/{path:path}")
async def vendor_file(path: str, request: Request) -> Response:
    """A file of one of the npm packages the page uses (the decoder, the Ed25519 fallback)."""
    package = next((p for p in VENDOR if path.startswith(p + "/")), None)
    inner = path.removeprefix(f"{package}/")
    if package is None or not inner.startswith(VENDOR[package]):
        raise HTTPException(404, "no such file")
    return await _file(request, _node_modules(request) / package, inner)


_BUILD_LINE = 'const BUILD = { version: "dev", shell: [] };'


def shell() -> list[str]:
    """What the worker keeps at install: the page's modules, the seal verifier's, the icons."""
    modules = [f"/scan/app/{p.name}" for p in sorted((WEB / "scan").glob("*.js")) if p.name != "sw.js"]
    seal = [f"/scan/seal/{p.name}" for p in sorted((WEB / "seal").glob("*.js")) if p.name != "cli.js"]
    return [*modules, *seal, *(f"/scan/icon-{size}.png" for size in ICON_SIZES)]


def _node_modules(request: Request) -> Path:
    """Where the npm packages the page loads are, each in its own folder (``VERIFIER_NODE_MODULES``)."""
    folder: Path = request.app.state.services.settings.node_modules
    return folder


def worker_asset(node_modules: Path) -> Asset:
    """sw.js with its build: a digest of every file it serves from its cache, and the list to fetch at install.

    A change to any module, or to the npm packages' versions, makes a new worker, which fetches them anew.
    """
    digest = hashlib.sha256()
    for url in shell():
        if url.endswith(".js"):
            folder = "scan" if url.startswith("/scan/app/") else "seal"
            digest.update(ASSETS.get(WEB / folder / url.rsplit("/", 1)[1]).etag.encode())
    for package in VENDOR:
        manifest = node_modules / package / "package.json"
        digest.update(manifest.read_bytes() if manifest.is_file() else b"-")
    build = json.dumps({"version": digest.hexdigest()[:16], "shell": shell()}, separators=(",", ":"))
    source = (WEB / "scan" / "sw.js").read_text("utf-8")
    if _BUILD_LINE not in source:
        raise RuntimeError("web/scan/sw.js lacks its BUILD line")
    return Asset.of(source.replace(_BUILD_LINE, f"const BUILD = {build};").encode(), MEDIA_TYPES[".js"])


_worker: list[Asset] = []


@router.get("/scan/sw.js")
async def service_worker(request: Request) -> Response:
    """The service worker; its scope is the page itself (``/scan``), one level above the script."""
    if not _worker:
        _worker.append(await run_in_threadpool(worker_asset, _node_modules(request)))
    return _worker[0].response(request, {"Service-Worker-Allowed": "/scan"})


@router.get("/scan/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    """What makes the page installable: its name, start URL, scope and icons."""
    language = choose(request.query_params.get("lang"), request.headers.get("accept-language"))
    m = Messages(language)
    body = {
        "name": m("scan_title"),
        "short_name": m("scan_short"),
        "start_url": "/scan",
        "scope": "/scan",
        "display": "standalone",
        "background_color": "#f4f6f8",
        "theme_color": "#0b4f8a",
        "lang": language,
        "dir": "rtl" if language in RIGHT_TO_LEFT else "ltr",
        "icons": [
            {"src": f"/scan/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
            for size in ICON_SIZES
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False).encode(), media_type="application/manifest+json",
                    headers={"Cache-Control": "no-cache"})  # fmt: skip


ICON_SIZES = (192, 512)


def icon(size: int) -> bytes:
    """The scanner's icon: a QR code's finder pattern and a tick, on the service's blue."""
    image = Image.new("RGB", (size, size), "#0b4f8a")
    draw = ImageDraw.Draw(image)
    unit = size / 16
    for x, y in ((3, 3), (9, 3), (3, 9)):  # three finder patterns
        draw.rectangle((x * unit, y * unit, (x + 4) * unit, (y + 4) * unit), fill="#ffffff")
        draw.rectangle(((x + 0.8) * unit, (y + 0.8) * unit, (x + 3.2) * unit, (y + 3.2) * unit), fill="#0b4f8a")
        draw.rectangle(((x + 1.5) * unit, (y + 1.5) * unit, (x + 2.5) * unit, (y + 2.5) * unit), fill="#ffffff")
    draw.line([(9.3 * unit, 11.3 * unit), (10.8 * unit, 12.8 * unit), (13.5 * unit, 9.6 * unit)], fill="#4ade80",
              width=max(2, int(unit * 0.9)), joint="curve")  # fmt: skip
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


_icons: dict[int, Asset] = {}


@router.get("/scan/icon-{size}.png")
async def scan_icon(size: int, request: Request) -> Response:
    """The installed app's icon, drawn once per size."""
    if size not in ICON_SIZES:
        raise HTTPException(404, "no such icon")
    if size not in _icons:
        _icons[size] = Asset.of(await run_in_threadpool(icon, size), "image/png")
    return _icons[size].response(request)
