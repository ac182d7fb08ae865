"""The one error tree of the library, and the kinds of refusal every face maps to its own words.

Every error the library raises on purpose derives from :class:`VerifierError`::

    VerifierError
    ├── CertificateInvalid      a certificate record breaks the model (carries every field error)
    ├── KeyStoreError           keys: unreadable, wrong passphrase, no active key
    ├── TrustListError          a trust list that is unreadable, unsigned or signed by an unknown key
    ├── SealTooLarge            the essential content does not fit the largest QR version allowed
    ├── FileRefused             an uploaded file (a PDF, a photo, a stamp) that is not what it must be
    ├── SelfTestFailed          a rendered certificate's QR code does not read back as its seal
    ├── CheckFailed             one step of a seal check refused the input; carries the verdict and reason
    └── …                       each capability's own: the registry's refusals, the renderer's, the readers'

Each error carries a :class:`Kind` (what sort of refusal, in no protocol's words) and a stable ``code``
(what the API's body and a job's failures name it). Only the faces translate: the HTTP API maps each
kind to a status in one table (:mod:`verifier.api.errors`); the command line exits 2. An exception that
is not a :class:`VerifierError` is a bug wherever it surfaces.

``CheckFailed`` never leaves :func:`verifier.verification.check.verify`: that function turns it into a
:class:`~verifier.verification.result.VerificationResult`. The others reach the caller.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from verifier.verdict import REASON_VERDICT, Reason, Verdict


class Kind(enum.Enum):
    """What kind of refusal an error is; a face maps it to its own terms (HTTP statuses, exit codes)."""

    INVALID = "invalid"  # the input cannot be taken as it is: fix it and send it again
    NOT_FOUND = "not_found"  # no such thing (or not the caller's, never said which)
    CONFLICT = "conflict"  # exists already, or not allowed from the current state
    FORBIDDEN = "forbidden"  # the caller may not do this
    TOO_LARGE = "too_large"  # larger than anything of its kind may be
    UNSUPPORTED = "unsupported"  # a kind of file this is not made for
    RATE_LIMITED = "rate_limited"  # too many from this caller just now: later
    UNAVAILABLE = "unavailable"  # the service cannot do it now; later, or when the operator has looked


@dataclass(frozen=True)
class FieldError:
    """One violation in a certificate record (or a request): where (a dotted path) and what."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class VerifierError(Exception):
    """Root of every error the library raises on purpose: a ``kind`` of refusal and a stable ``code``.

    Subclasses set their kind and code; a raise site that knows better passes ``kind`` or ``code``.
    ``retry_after`` (seconds) is for the kinds a caller may simply try again.
    """

    kind: Kind = Kind.INVALID
    code: str = "refused"
    retry_after: int | None = None

    def __init__(
        self, message: str = "", *, kind: Kind | None = None, code: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        if code is not None:
            self.code = code
        if retry_after is not None:
            self.retry_after = retry_after

    @property
    def fields(self) -> list[FieldError]:
        """The fields the refusal is about (none by default)."""
        return []

    @property
    def public_message(self) -> str:
        """What a remote caller is told (the message, unless it says what only the operator may read)."""
        return str(self)


class SelfTestFailed(VerifierError):
    """The QR code of a rendered certificate does not decode to its sealed text (:mod:`verifier.paper.selftest`)."""

    code = "self_test_failed"


class CertificateInvalid(VerifierError):
    """A certificate record breaks the model; ``errors`` names every offending field."""

    code = "invalid_certificate"

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))

    @property
    def fields(self) -> list[FieldError]:
        """Every offending field."""
        return list(self.errors)


class FieldRefused(VerifierError):
    """One value of a request refused (a status change's reason, a letterhead field's name)."""

    code = "invalid_request"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)

    @property
    def fields(self) -> list[FieldError]:
        """The one field."""
        return [FieldError(self.field, str(self))]


class KeyStoreError(VerifierError):
    """A key cannot be read, written or found (wrong passphrase, bad PEM, no active key)."""

    kind = Kind.UNAVAILABLE
    code = "keys_unavailable"

    @property
    def public_message(self) -> str:
        """The reason stays in the operator's log."""
        return "the signing key cannot be read; the operator must look"


class TrustListError(VerifierError):
    """A trust list is not well formed, or its signature does not verify with a pinned operator key."""

    code = "trust_list_refused"


class SealTooLarge(VerifierError):
    """The essential content would need a QR code larger than the allowed version."""

    code = "certificate_too_large"


class CheckFailed(VerifierError):
    """One step of a seal check refused its input.

    Internal to the checks; ``reason`` (and the verdict it belongs to) say what the check concludes,
    ``detail`` says why in words that never quote the input.
    """

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value, code=reason.value)

    @property
    def verdict(self) -> Verdict:
        """The verdict this reason belongs to."""
        return REASON_VERDICT[self.reason]


class FileRefused(VerifierError):
    """A file that is not a readable certificate document; ``code`` says what is wrong, ``kind`` how to answer."""

    def __init__(self, code: str, message: str, kind: Kind = Kind.INVALID) -> None:
        super().__init__(message, kind=kind, code=code)

    @property
    def fields(self) -> list[FieldError]:
        """The file."""
        return [FieldError("file", str(self))]

    def __reduce__(self) -> tuple[type[FileRefused], tuple[str, str, Kind]]:
        # Raised in a worker process, it crosses back by pickle.
        return (FileRefused, (self.code, str(self), self.kind))
