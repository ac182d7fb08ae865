"""Wire schemas: what the HTTP API reads and answers, apart from the tables and the library types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic.json_schema import SkipJsonSchema

from verifier.certificate.fields import Text
from verifier.certificate.model import Certificate
from verifier.certificate.status import REASONS, Action

MAX_BATCH = 1000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BatchIn(_In):
    """Certificates to issue together: all of them, or none. ``"async": true`` queues them as a job."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    certificates: Annotated[list[Certificate], Field(min_length=1, max_length=MAX_BATCH)]
    run_async: Annotated[
        bool,
        Field(
            alias="async",
            description="Answer 202 with a job at once and issue in the background (GET /api/v1/jobs/{id}).",
        ),
    ] = False


class StatusChangeIn(_In):
    """Why the status changes: a reason code of the action, and a free note."""

    reason: str
    note: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")] = ""


def status_change_model(action: Action) -> type[StatusChangeIn]:
    """The body of one action, its reason codes spelled out in the schema."""
    reasons = REASONS[action]
    return create_model(
        f"{action.value.capitalize()}In",
        __base__=StatusChangeIn,
        __doc__=f"Why the certificate is to {action.value}: one of {', '.join(reasons)}; and a free note.",
        reason=(Literal[reasons], Field(examples=[reasons[0]])),  # type: ignore[arg-type]
    )


class VerifyIn(_In):
    """What to check: the text a QR code holds, as scanned, or a certificate's credential.

    ``qr`` may also hold a credential's JWT (or its enveloped JSON as text); ``credential`` takes the
    enveloped credential as a JSON object (what ``GET /credentials/{id}`` answers), or its JWT. Exactly one.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [{"required": ["qr"]},
                                                                           {"required": ["credential"]}]})  # fmt: skip

    # The length bound on the text alone: on the union, pydantic applies it to a null too and raises.
    qr: Annotated[
        Annotated[str, Field(max_length=100_000)] | SkipJsonSchema[None],
        Field(examples=["HTTPS://VERIFY.EXAMPLE.ORG/C/12KCE3IQ..."]),
    ] = None
    credential: Annotated[
        dict[str, Any] | Annotated[str, Field(max_length=100_000)] | SkipJsonSchema[None],
        Field(examples=[{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "EnvelopedVerifiableCredential",
                         "id": "data:application/vc+jwt,eyJhbGciOiJFZERTQSIs..."}]),
    ] = None  # fmt: skip

    @model_validator(mode="after")
    def _one_of(self) -> VerifyIn:
        if (self.qr is None) == (self.credential is None):
            raise ValueError("give either qr (a scanned text, or a credential's JWT) or credential (an enveloped one)")
        return self


class LetterheadIn(_In):
    """What the certificates' paper prints of the issuer beside its names (each optional).

    In an update, a field left out stays as it is and a null clears it.
    """

    address: Annotated[Text(200) | None, Field(examples=["浙江省杭州市西湖区文三路90号"])] = None  # type: ignore[valid-type]
    address_en: Annotated[Text(300) | None, Field(examples=["90 Wensan Road, Hangzhou, Zhejiang, China"])] = None  # type: ignore[valid-type]
    contact: Annotated[Text(200) | None, Field(examples=["+86 571 8765 4321 · cert@zjcert.example"])] = None  # type: ignore[valid-type]
    accreditation: Annotated[Text(100) | None, Field(examples=["CNAS C123-P"])] = None  # type: ignore[valid-type]
    signatory: Annotated[Text(100) | None, Field(examples=["王建国 WANG Jianguo"])] = None  # type: ignore[valid-type]
    signatory_title: Annotated[Text(100) | None, Field(examples=["主任"])] = None  # type: ignore[valid-type]
    signatory_title_en: Annotated[Text(100) | None, Field(examples=["Director"])] = None  # type: ignore[valid-type]

    def details(self) -> dict[str, str]:
        """The fields given, a null as the empty string (cleared)."""
        return {name: value or "" for name, value in self.model_dump(exclude_unset=True).items()}


Role = Literal["issue", "recognise"]
PUBLIC_KEY = Field(
    max_length=400,
    description="An Ed25519 public key in PEM (SubjectPublicKeyInfo), when the body keeps its private key itself "
    "and signs elsewhere (`verifier recognise --key`); left out, the service makes the key and keeps it.",
    examples=["-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA...\n-----END PUBLIC KEY-----\n"],
)


class RemitIn(_In):
    """What a recognising body may recognise: markets (ISO 3166-1 alpha-2) and schemes (their ids).

    For example ``{"markets": ["DE", "FR"], "schemes": ["international-cooperation"]}``.
    """

    markets: Annotated[list[Annotated[str, Field(max_length=2)]], Field(min_length=1, max_length=249)]
    schemes: Annotated[list[Annotated[str, Field(max_length=40)]], Field(min_length=1, max_length=20)]


class TermsIn(_In):
    """A party's country, roles and remit; in a change, what is left out stays as it is."""

    country: Annotated[str | None, Field(pattern=r"^[A-Z]{2}$", examples=["CH"])] = None
    roles: Annotated[list[Role] | None, Field(min_length=1, max_length=2, examples=[["recognise"]])] = None
    remit: RemitIn | None = None


class IssuerIn(LetterheadIn):
    """A party to register: its names (as the trust list carries them), its letterhead, and what it does.

    An issuer in China by default; a partner body that recognises certificates gives ``roles`` with
    ``recognise``, its ``country`` and its ``remit``, and ``public_key`` when it keeps its own key.
    """

    id: Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$", examples=["zjcert"])]
    name: Annotated[Text(200), Field(examples=["浙江省产品认证中心"])]  # type: ignore[valid-type]
    name_en: Annotated[Text(200), Field(examples=["Zhejiang Product Certification Centre"])]  # type: ignore[valid-type]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "CN"
    roles: Annotated[list[Role], Field(min_length=1, max_length=2)] = ["issue"]
    remit: RemitIn | None = None
    public_key: Annotated[str | None, PUBLIC_KEY] = None

    def details(self) -> dict[str, str]:
        """The letterhead fields given."""
        party = ("id", "name", "name_en", "country", "roles", "remit", "public_key")
        return {k: v for k, v in super().details().items() if k not in party}


class KeyIn(_In):
    """A party's new key: nothing (the service makes it), or the public half of one the party keeps."""

    public_key: Annotated[str | None, PUBLIC_KEY] = None


class PartyOut(BaseModel):
    """A party as registered: names, country, roles, remit, and whether the service keeps its keys."""

    id: str
    name: str
    name_en: str
    country: str
    roles: list[Role]
    accreditation: str
    keys_kept: bool
    remit: dict[str, list[str]] | None


class StampOut(BaseModel):
    """The issuer's stamp as stored: its type, size and SHA-256."""

    media_type: Literal["image/png", "image/svg+xml"]
    bytes: int
    sha256: str


class LetterheadOut(BaseModel):
    """What the issuer's certificates print of it (empty strings for what is not set)."""

    id: str
    name: str
    name_en: str
    address: str
    address_en: str
    contact: str
    accreditation: str
    signatory: str
    signatory_title: str
    signatory_title_en: str
    stamp: StampOut | None


class TokenIn(_In):
    """A label for a further token (an issuer's or the operator's)."""

    label: Text(100) = "issuer token"  # type: ignore[valid-type]


class StatusOut(BaseModel):
    """A certificate's registry status."""

    state: Literal["active", "suspended", "revoked"]
    reason: str | None = None
    note: str | None = None
    since: datetime | None = None


class CertificateOut(BaseModel):
    """A registered certificate."""

    id: str
    number: str
    status: Literal["active", "suspended", "revoked"]
    status_detail: StatusOut
    validity: Literal["in_force", "expired", "not_yet_valid"]
    qr: str
    verify_url: str
    pdf_url: str
    pdf_sha256: str | None
    credential_url: str
    kid: str
    issued_at: datetime
    certificate: dict[str, Any]
    log_index: int | None = Field(
        default=None, description="its issuance's entry in the transparency log (in the answer that issues it)"
    )
    log_url: str = Field(description="its issuance's entry and, once witnessed, the proof (GET, issuer's token)")


class BatchOut(BaseModel):
    """Certificates issued together, in the order they were sent."""

    certificates: list[CertificateOut]


class JobFailureOut(BaseModel):
    """Why a job was refused: the item at fault (its place in the batch, from 0, and number) or the whole job."""

    index: int | None
    number: str | None
    error: str
    message: str


class JobOut(BaseModel):
    """A batch being issued in the background; its certificates once it has succeeded.

    ``state``: queued, running, succeeded, failed (``failures`` says why; nothing was issued) or
    cancelled (nothing was issued).
    """

    id: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    done: int
    total: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool
    failures: list[JobFailureOut]
    url: str
    certificates: list[CertificateOut] | None = None


class JobsOut(BaseModel):
    """Your latest jobs, newest first (without their certificates)."""

    jobs: list[JobOut]


class PageOut(BaseModel):
    """A page of certificates and the cursor of the next one (null on the last page)."""

    certificates: list[CertificateOut]
    next_cursor: str | None


class IssuerOut(BaseModel):
    """A new issuer: its key id, and its first token (shown this once)."""

    id: str
    kid: str
    token_id: str
    token: str


class TokenOut(BaseModel):
    """A new token (shown this once)."""

    id: str
    token: str


class TokenInfo(BaseModel):
    """A token's record (never its text)."""

    id: str
    label: str
    created_at: datetime
    withdrawn_at: datetime | None


class KeyOut(BaseModel):
    """An issuer's active key after a rotation."""

    issuer: str
    kid: str
    not_before: datetime


class KeyWithdrawnOut(BaseModel):
    """A key withdrawn as compromised, and the issuer's active key now (a new one if it was the active)."""

    issuer: str
    withdrawn_kid: str
    withdrawn_at: datetime
    active_kid: str | None  # None: a party that keeps its keys itself, until it gives a new one


class ErrorOut(BaseModel):
    """An error: a code, a message, and for bad input the fields at fault."""

    error: str
    message: str
    fields: list[dict[str, str]] = []


class LogOut(BaseModel):
    """The transparency log: what a verifier pins, and how far the log is."""

    origin: str = Field(description="the checkpoints' first line, and the log key's name")
    key: str = Field(description="the log's verifier key (C2SP signed-note vkey, Ed25519)")
    witnesses: list[str] = Field(description="the witnesses in service, as vkeys (cosignature type 0x04)")
    quorum: int = Field(description="how many of them must cosign a checkpoint for a proof to count as witnessed")
    size: int = Field(description="the newest checkpoint's size")
    witnessed_size: int = Field(description="the newest witnessed checkpoint's size (0: none yet)")
    sequenced: int = Field(description="entries given an index so far (the next checkpoint covers them)")


class LogWitnessIn(BaseModel):
    """A witness to register."""

    model_config = ConfigDict(extra="forbid")
    vkey: str = Field(max_length=512, description="its verifier key, as `verifier witness init` prints it")
    party: str | None = Field(default=None, max_length=40, description="the party that runs it, if registered")


class LogWitnessOut(BaseModel):
    """A registered witness."""

    name: str
    vkey: str
    party: str | None


class LogEntryOut(BaseModel):
    """A certificate's issuance in the transparency log."""

    index: int | None = Field(description="the entry's index; null when it was issued before the log began")
    witnessed_size: int | None = Field(description="the size of the witnessed checkpoint the proof is for")
    proof: str | None = Field(
        description="the C2SP tlog-proof (the entry as extra data); null until a witnessed checkpoint covers it"
    )
