"""Uploads: untrusted PDFs and photos read in bounded worker processes.

:mod:`.readers` is the pool of reader processes (time, CPU and memory bounded, a few per client);
:mod:`.pdfread` is what a worker does with a file: the embedded seal, or the QR from the pixels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.uploads.pdfread import FileSeal
    from verifier.uploads.readers import ReadersBusy, UploadReaders, read_bounded

__all__ = ["FileSeal", "ReadersBusy", "UploadReaders", "read_bounded"]
__getattr__, __dir__ = exports(__name__, __file__)
