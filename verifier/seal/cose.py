"""The seal: claims signed as a COSE_Sign1 (RFC 9052) with EdDSA/Ed25519, carried in an https URL.

The QR text is the issuing service's public URL, upper-cased so that the whole text stays in the QR
alphanumeric mode, then ``/C/``, the format version and the COSE bytes in RFC 4648 base32 (upper case,
no padding)::

    HTTPS://VERIFY.EXAMPLE.ORG/C/1<BASE32 OF COSE_SIGN1>

Scheme and host are case-insensitive in a URL, and the service accepts the path in either case, so a
phone opens the page whatever it does to the case. Decoding is canonical and bounded: a size cap before
anything is parsed, exact types, one version and one algorithm, and every text that is not exactly what
the encoder writes (in upper case, or wholly in lower case) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.errors import CheckFailed
from verifier.origins import DEFAULT_PORTS, check_public_url
from verifier.seal import base32, cborread
from verifier.trust.keys import KID_LENGTH, SigningKey
from verifier.verdict import Reason

FORMAT_VERSION = "1"
PATH = "C"
RECOGNITION_PATH = "R"  # a recognition's link (spec section 11): the same form, its own path
COSE_SIGN1_TAG = 18
HEADER_ALG, HEADER_KID = 1, 4
ALG_EDDSA = -8
SIGNATURE_LENGTH = 64
# The name of the file a certificate's PDF embeds its COSE_Sign1 bytes as.
SEAL_ATTACHMENT = "seal.cose"

# The largest text the issuer writes: what QR version 25 holds at error correction M in the
# alphanumeric mode. Checked before anything is decoded.
MAX_TEXT_LENGTH = 1451
MAX_COSE_BYTES = MAX_TEXT_LENGTH * 5 // 8


@dataclass(frozen=True)
class CoseSign1:
    """A decoded COSE_Sign1 envelope; nothing in it is trusted until the signature verifies."""

    protected: bytes
    kid: bytes
    payload: bytes
    signature: bytes

    def to_be_signed(self) -> bytes:
        """The Sig_structure the signature covers (RFC 9052 §4.4)."""
        return to_be_signed(self.protected, self.payload)


# The three fixed structures are written by hand: on every scan they cost a byte concatenation
# instead of a trip through the general encoder. The tests hold them equal to cbor2's encoding.
def _bstr(data: bytes) -> bytes:
    """A CBOR byte string (major type 2) with its shortest length head."""
    n = len(data)
    if n < 24:
        return bytes((0x40 | n,)) + data
    if n < 0x100:
        return bytes((0x58, n)) + data
    if n < 0x10000:
        return b"\x59" + n.to_bytes(2, "big") + data
    return b"\x5a" + n.to_bytes(4, "big") + data


_PROTECTED_HEAD = b"\xa2\x01\x27\x04"  # map(2) {1: -8, 4: ...}
_SIG_STRUCTURE_HEAD = b"\x84\x6aSignature1"  # array(4) ["Signature1", ...]
_COSE_SIGN1_HEAD = b"\xd2\x84"  # tag(18) array(4)
_EMPTY_MAP = b"\xa0"
_EMPTY_BSTR = b"\x40"


def protected_header(kid: bytes) -> bytes:
    """The protected header ``{1: -8, 4: kid}``: alg EdDSA and the key id, deterministically encoded."""
    return _PROTECTED_HEAD + _bstr(kid)


def to_be_signed(protected: bytes, payload: bytes) -> bytes:
    """``Sig_structure = ["Signature1", protected, external_aad = h'', payload]`` as CBOR."""
    return _SIG_STRUCTURE_HEAD + _bstr(protected) + _EMPTY_BSTR + _bstr(payload)


def sign(payload: bytes, key: SigningKey) -> bytes:
    """A tagged COSE_Sign1 over ``payload`` with ``key`` (Ed25519 is deterministic: same input, same bytes)."""
    protected = protected_header(key.kid)
    signature = key.private_key.sign(to_be_signed(protected, payload))
    return _envelope(protected, payload, signature)


def _envelope(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    """``18([protected, {}, payload, signature])`` as CBOR."""
    return _COSE_SIGN1_HEAD + _bstr(protected) + _EMPTY_MAP + _bstr(payload) + _bstr(signature)


def encode_text(cose: bytes, public_url: str, path: str = PATH) -> str:
    """The QR text for ``cose`` on the service at ``public_url`` (an origin, as ``check_public_url`` gives).

    ``path`` is ``C`` for a certificate's seal, :data:`RECOGNITION_PATH` for a recognition's.
    """
    return f"{check_public_url(public_url).upper()}/{path}/{encode_segment(cose)}"


def encode_segment(cose: bytes) -> str:
    """The URL's last path segment: the format version, then the COSE bytes in unpadded base32."""
    return FORMAT_VERSION + base32.encode(cose)


# White space a scanner or a paste may add around a link (a keyboard-wedge scanner ends with CR/LF).
_AROUND = " \t\r\n"


def decode_text(text: str, origins: frozenset[str], link_path: str = PATH) -> bytes:
    """The COSE bytes in a scanned QR text whose origin is one of ``origins`` (as ``check_public_url`` gives).

    The forms of one link are the same link: white space around it is trimmed; scheme and host are
    compared in any case and an explicit default port (``:443``, ``:80``) is the same as none; the path
    is ``/C/`` or ``/c/``. The seal segment must be what :func:`encode_segment` writes, in upper case
    or wholly in lower case. The text must be ASCII before any case is converted. Raises
    :class:`CheckFailed` (malformed) otherwise; ``not_a_certificate_url`` for a link to any other
    service, whatever its case. ``link_path``: ``C``, or :data:`RECOGNITION_PATH` for a recognition's link.
    """
    if len(text) > MAX_TEXT_LENGTH + 64:  # before any work on it, white space included
        raise CheckFailed(Reason.TOO_LARGE, f"longer than {MAX_TEXT_LENGTH} characters")
    text = text.strip(_AROUND)
    if len(text) > MAX_TEXT_LENGTH:
        raise CheckFailed(Reason.TOO_LARGE, f"longer than {MAX_TEXT_LENGTH} characters")
    if not text.isascii():  # before any case conversion: "ı".upper() is "I", "ſ".upper() is "S"
        raise CheckFailed(Reason.BAD_ENCODING, "characters outside ASCII")
    scheme, separator, rest = text.partition("://")
    authority, _, path = rest.partition("/")
    kind, slash, segment = path.partition("/")
    scheme, authority = scheme.lower(), authority.lower()
    if scheme in DEFAULT_PORTS:
        authority = authority.removesuffix(DEFAULT_PORTS[scheme])
    if not separator or kind.upper() != link_path or not slash or f"{scheme}://{authority}" not in origins:
        raise CheckFailed(Reason.NOT_A_CERTIFICATE_URL, "not a certificate link of a trusted service")
    return decode_segment(segment)


def decode_segment(segment: str) -> bytes:
    """The COSE bytes of a URL path segment written by :func:`encode_segment` (upper case or wholly lower).

    Raises :class:`CheckFailed` (malformed) for a wrong version, size, alphabet, padding or stray bits.
    """
    if len(segment) > MAX_TEXT_LENGTH:
        raise CheckFailed(Reason.TOO_LARGE, f"longer than {MAX_TEXT_LENGTH} characters")
    if not segment:
        raise CheckFailed(Reason.NOT_A_CERTIFICATE_URL, "empty code")
    if not segment.isascii():  # before any case conversion (see decode_text)
        raise CheckFailed(Reason.BAD_ENCODING, "characters outside ASCII")
    if segment[0] != FORMAT_VERSION:
        raise CheckFailed(Reason.UNSUPPORTED_VERSION, "unknown format version")
    body = segment[1:]
    if body == body.lower():
        body = body.upper()
    elif body != body.upper():
        raise CheckFailed(Reason.BAD_ENCODING, "mixed upper and lower case")
    try:
        return base32.decode(body)
    except ValueError as exc:
        raise CheckFailed(Reason.BAD_ENCODING, str(exc)) from None


def decode_cose(data: bytes) -> CoseSign1:
    """Parse a tagged COSE_Sign1 as :func:`sign` writes it.

    Raises :class:`CheckFailed`: malformed for anything but a canonical tagged COSE_Sign1 with an empty
    unprotected header and a protected header of exactly alg and an 8-byte kid; the reason is
    ``unsupported_algorithm`` for any alg but EdDSA.
    """
    if len(data) > MAX_COSE_BYTES:
        raise CheckFailed(Reason.TOO_LARGE, f"larger than {MAX_COSE_BYTES} bytes")
    return _read_exact_layout(data) or _read_any_cbor(data)


# What sign() writes: tag 18, array of 4, bstr(13) holding {1: -8, 4: bstr(8) kid}, {}, payload, bstr(64).
_LAYOUT_HEAD = _COSE_SIGN1_HEAD + b"\x4d" + _PROTECTED_HEAD + b"\x48"
_LAYOUT_TAIL = b"\x58\x40"


def _read_exact_layout(data: bytes) -> CoseSign1 | None:
    """The envelope when its bytes are exactly what :func:`sign` writes, else None (then the slow path says why)."""
    if not data.startswith(_LAYOUT_HEAD) or len(data) < 84 or data[16] != 0xA0:
        return None
    first = data[17]
    if 0x40 <= first <= 0x57:
        start, length = 18, first - 0x40
    elif first == 0x58 and data[18] >= 24:
        start, length = 19, data[18]
    elif first == 0x59 and (length := int.from_bytes(data[18:20], "big")) >= 0x100:
        start = 20
    else:
        return None
    end = start + length
    if len(data) != end + 2 + SIGNATURE_LENGTH or data[end : end + 2] != _LAYOUT_TAIL:
        return None
    return CoseSign1(data[3:16], data[8:16], data[start:end], data[end + 2 :])


def _read_any_cbor(data: bytes) -> CoseSign1:
    """The envelope read by the strict reader: slower, and says exactly what is wrong with it."""
    try:
        message = cborread.loads(data, tag=True)
    except cborread.CborError as exc:
        raise CheckFailed(Reason.BAD_CBOR, str(exc)) from None
    if type(message) is not cborread.Tag or message.number != COSE_SIGN1_TAG:
        raise CheckFailed(Reason.BAD_COSE, "not a tagged COSE_Sign1")
    body = message.value
    if type(body) is not list or len(body) != 4:
        raise CheckFailed(Reason.BAD_COSE, "COSE_Sign1 is not an array of four")
    protected, unprotected, payload, signature = body
    if type(protected) is not bytes or type(payload) is not bytes or type(signature) is not bytes:
        raise CheckFailed(Reason.BAD_COSE, "COSE_Sign1 fields have the wrong types")
    if type(unprotected) is not dict or unprotected:
        raise CheckFailed(Reason.BAD_COSE, "unprotected header must be empty")
    if len(signature) != SIGNATURE_LENGTH:
        raise CheckFailed(Reason.BAD_COSE, "an Ed25519 signature is 64 bytes")
    kid = _read_protected(protected)
    # The strict reader takes only deterministic encodings: with the checks above, the envelope is
    # byte for byte what sign() writes (spec COSE-7), and so is the protected header.
    return CoseSign1(protected, kid, payload, signature)


def _read_protected(protected: bytes) -> bytes:
    try:
        header = cborread.loads(protected)
    except cborread.CborError as exc:
        raise CheckFailed(Reason.BAD_COSE, f"protected header: {exc}") from None
    if type(header) is not dict:
        raise CheckFailed(Reason.BAD_COSE, "protected header is not a map")
    if HEADER_ALG in header and header[HEADER_ALG] != ALG_EDDSA:
        raise CheckFailed(Reason.UNSUPPORTED_ALGORITHM, "only EdDSA (-8) is accepted")
    if set(header) != {HEADER_ALG, HEADER_KID}:
        raise CheckFailed(Reason.BAD_COSE, "protected header must hold exactly alg and kid")
    kid = header[HEADER_KID]
    if type(kid) is not bytes or len(kid) != KID_LENGTH:
        raise CheckFailed(Reason.BAD_COSE, f"kid must be {KID_LENGTH} bytes")
    return kid
