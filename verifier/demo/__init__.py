"""The demo: the demo certificates shipped with the package, and the newcomer's first run.

:mod:`.certificates` reads the demo certificates (the JSON files beside it) with their dates moved around
today; :mod:`.firstrun` issues them into a fresh registry with their PDFs, trust list and status lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.demo.certificates import dated, demo_certificates, example

__all__ = ["dated", "demo_certificates", "example"]
__getattr__, __dir__ = exports(__name__, __file__)
