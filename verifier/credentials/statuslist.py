"""W3C Bitstring Status List v1.0: a certificate's revocation and suspension as one bit each in a long list.

Each issuer has lists of :data:`LIST_SIZE` bits (16 KB) per purpose, ``revocation`` and ``suspension``;
a certificate holds the same index in both, drawn at random without reuse, so a verifier fetching a list
learns nothing of which certificate it checks (herd privacy). The list travels GZIP-compressed and
base64url-encoded with the multibase prefix ``u``; index 0 is the left-most bit of the first byte. The
list is published as a ``BitstringStatusListCredential`` secured like the certificates' credentials.
"""

from __future__ import annotations

import base64
import gzip
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from verifier.certificate.status import LIST_SIZE, STATUS_PURPOSES
from verifier.credentials.vcjose import VC_CONTEXT

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
MAX_ENCODED = 200_000  # characters of an encodedList a verifier accepts (a gzip bomb is refused by size)


def encode(indexes: Iterable[int], size: int = LIST_SIZE) -> str:
    """The bits at ``indexes`` set, the rest clear, as an ``encodedList``.

    GZIP without a timestamp (the same bits give the same text), base64url without padding, multibase ``u``.
    """
    bits = bytearray(size // 8)
    for index in indexes:
        if not 0 <= index < size:
            raise ValueError(f"index {index} is outside a list of {size}")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode(encoded: str, size: int = LIST_SIZE) -> bytes:
    """The bitstring of an ``encodedList``; raises ValueError for anything that is not one of ``size`` bits."""
    if not encoded.startswith("u") or len(encoded) > MAX_ENCODED:
        raise ValueError("not a multibase base64url encodedList of a sane size")
    body = encoded[1:]
    if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
        raise ValueError("the encodedList is not base64url without padding")
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii") != body:
            raise ValueError("stray bits in its last character")
        with gzip.GzipFile(fileobj=io.BytesIO(packed)) as stream:
            bits = stream.read(size // 8 + 1)  # never more than a list's worth: a bomb stops here
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"the encodedList does not decode: {exc}") from None
    if len(bits) < size // 8:
        raise ValueError(f"the list has {len(bits) * 8} bits; at least {size} are required")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    """Whether bit ``index`` of a decoded list is set."""
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def list_url(public_url: str, issuer_id: str, purpose: str, list_number: int) -> str:
    """Where an issuer's list for ``purpose`` lives (the status list credential's id)."""
    return f"{public_url}/status/{issuer_id}/{purpose}/{list_number}"


def entries(public_url: str, issuer_id: str, status_index: int) -> list[dict[str, Any]]:
    """A certificate's ``credentialStatus``: one ``BitstringStatusListEntry`` per purpose."""
    number, bit = divmod(status_index, LIST_SIZE)
    made = []
    for purpose in STATUS_PURPOSES:
        url = list_url(public_url, issuer_id, purpose, number)
        made.append({"id": f"{url}#{bit}", "type": "BitstringStatusListEntry", "statusPurpose": purpose,
                     "statusListIndex": str(bit), "statusListCredential": url})  # fmt: skip
    return made


def list_credential(url: str, issuer_did: str, purpose: str, encoded: str, valid_from: datetime) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` of one list."""
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": valid_from.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
        },
    }
