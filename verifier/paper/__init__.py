"""The paper: a certificate's bilingual PDF and everything printed on it.

:mod:`.render` lays the page out from the templates with WeasyPrint (loaded only where a page is drawn),
:mod:`.pool` runs it in worker processes; :mod:`.fonts` cuts the CJK font, :mod:`.qr` / :mod:`.qrmask` /
:mod:`.qrpdf` draw the QR symbol, :mod:`.pdfstreams` deflates once, :mod:`.selftest` reads the QR back
from the page's pixels; :mod:`.letterhead`, :mod:`.stamps` (:mod:`.svgstamp`) and :mod:`.wording` are
what an issuer's page says and shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.paper.letterhead import Letterhead
    from verifier.paper.pool import RenderPool, shared_pool
    from verifier.paper.render import Document, Renderer, RenderError
    from verifier.paper.stamps import Stamp, checked_stamp

__all__ = ["Document", "Letterhead", "RenderError", "RenderPool", "Renderer", "Stamp", "checked_stamp", "shared_pool"]
__getattr__, __dir__ = exports(__name__, __file__)
