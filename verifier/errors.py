"""The one error tree of the library.

Every error the library raises on purpose derives from :class:`VerifierError`::

    VerifierError
    ├── CertificateInvalid      a certificate record breaks the model (carries every field error)
    ├── KeyStoreError           keys: unreadable, wrong passphrase, no active key
    ├── TrustListError          a trust list that is unreadable, unsigned or signed by an unknown key
    ├── SealTooLarge            the essential content does not fit the largest QR version allowed
    ├── FileRefused             an uploaded file (a PDF, a photo, a stamp) that is not what it must be
    └── CheckFailed             one step of a seal check refused the input; carries the verdict and reason

``CheckFailed`` never leaves :func:`verifier.verification.check.verify`: that function turns it into a
:class:`~verifier.verification.result.VerificationResult`. The others reach the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.verdict import REASON_VERDICT, Reason, Verdict


class VerifierError(Exception):
    """Root of every error the library raises on purpose."""


class SelfTestFailed(VerifierError):
    """The QR code of a rendered certificate does not decode to its sealed text (:mod:`verifier.paper.selftest`)."""


@dataclass(frozen=True)
class FieldError:
    """One violation in a certificate record: where (a dotted path) and what."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CertificateInvalid(VerifierError):
    """A certificate record breaks the model; ``errors`` names every offending field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class KeyStoreError(VerifierError):
    """A key cannot be read, written or found (wrong passphrase, bad PEM, no active key)."""


class TrustListError(VerifierError):
    """A trust list is not well formed, or its signature does not verify with a pinned operator key."""


class SealTooLarge(VerifierError):
    """The essential content would need a QR code larger than the allowed version."""


class CheckFailed(VerifierError):
    """One step of a seal check refused its input.

    Internal to the checks; ``reason`` (and the verdict it belongs to) say what the check concludes,
    ``detail`` says why in words that never quote the input.
    """

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)

    @property
    def verdict(self) -> Verdict:
        """The verdict this reason belongs to."""
        return REASON_VERDICT[self.reason]


class FileRefused(VerifierError):
    """A file that is not a readable certificate document; ``code`` and ``status`` say how to answer."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        self.code = code
        self.status = status
        super().__init__(message)

    def __reduce__(self) -> tuple[type[FileRefused], tuple[str, str, int]]:
        # Raised in a worker process, it crosses back by pickle.
        return (FileRefused, (self.code, str(self), self.status))
