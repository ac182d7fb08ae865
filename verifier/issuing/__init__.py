"""Issuing: a certificate number, its seal, its PDF and its place in the registry.

:mod:`.recipe` is the one path every issuance takes (single, batch, job); :mod:`.policy` what an
issuance must satisfy first; :mod:`.jobs` runs large batches in the background, fairly between
issuers; :mod:`.publish` signs an issuer's status lists from the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.issuing.jobs import JobRunner
    from verifier.issuing.publish import signed_status_list
    from verifier.issuing.recipe import PdfMaker, Sealed, issue, seal_certificate

__all__ = ["JobRunner", "PdfMaker", "Sealed", "issue", "seal_certificate", "signed_status_list"]
__getattr__, __dir__ = exports(__name__, __file__)
