"""The seal specification's code tables, machine-readable, made from the library's own tables.

``docs/spec/tables.json`` (for implementers) and ``web/seal/tables.js`` (the JavaScript verifier's
copy) are written from :func:`tables` by ``make vectors``; the suite holds both equal to it, so
the published tables are the ones the reference implementation checks against.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from verifier.certificate import codes
from verifier.certificate.fields import NUMBER_PATTERN
from verifier.certificate.model import ExemptionPurpose, QuantityUnit, Scheme
from verifier.certificate.names import EXEMPTION_PURPOSES, TITLES, UNITS
from verifier.certificate.status import LIST_SIZE
from verifier.seal import claims
from verifier.seal.cose import MAX_COSE_BYTES, MAX_TEXT_LENGTH
from verifier.verdict import REASON_VERDICT, RECOGNITION_VERDICT

SPEC_VERSION = "1.3"
SEAL_FORMAT = 1


def _names(both: str) -> dict[str, str]:
    """``"科研测试 Research and development"`` → its Chinese and English names."""
    zh, _, en = both.partition(" ")
    return {"name_zh": zh, "name_en": en}


def tables() -> dict[str, Any]:
    """Every code table and list the spec's rules use, with the version of the lists."""
    return {
        "spec_version": SPEC_VERSION,
        "seal_format": SEAL_FORMAT,
        "schemes": [
            {
                "code": claims._SCHEME_CODES[s],
                "id": s.value,
                "name_zh": TITLES[s.value][0],
                "name_en": TITLES[s.value][1],
            }
            for s in Scheme
        ],
        "purposes": [
            {"code": claims._PURPOSE_CODES[p], "id": p.value, **_names(EXEMPTION_PURPOSES[p.value])}
            for p in ExemptionPurpose
        ],
        "units": [{"code": claims._UNIT_CODES[u], "id": u.value, **_names(UNITS[u.value])} for u in QuantityUnit],
        "countries": {"list": "ISO 3166-1 alpha-2, officially assigned codes (2024)", "codes": sorted(codes.COUNTRIES)},
        "currencies": {"list": "ISO 4217 active codes (amendment 179, 2025)", "codes": sorted(codes.CURRENCIES)},
        "credit_code": {
            "standard": "GB 32100-2015",
            "alphabet": codes.CREDIT_CODE_ALPHABET,
            "weights": list(codes._CREDIT_CODE_WEIGHTS),
            "pattern": codes._CREDIT_CODE_SHAPE.pattern,
        },
        "hs_chapters": {"first": 1, "last": 97, "digits": [4, 6, 8, 10]},
        "patterns": {
            "number": NUMBER_PATTERN,
            "model": claims._MODEL,
            "amount": claims._AMOUNT.pattern,
            "locode": codes._LOCODE.pattern,
            "control_characters": claims._CONTROL.pattern,
        },
        "limits": {
            "text_characters": MAX_TEXT_LENGTH,
            "text_characters_with_white_space": MAX_TEXT_LENGTH + 64,
            "cose_bytes": MAX_COSE_BYTES,
            "cbor_depth": 8,
            "cbor_entries": 64,
            "epoch_seconds": [0, 4_200_000_000],
            "dates": ["2000-01-01", "2099-12-31"],
            "number": 40,
            "holder_name_en": 200,
            "credit_code": 18,
            "products": [1, 10],
            "product_name_en": 200,
            "models": [1, 30],
            "model": 40,
            "standards": [1, 10],
            "standard": 60,
            "status_index": [0, claims.MAX_STATUS_INDEX],
            "status_list_bits": LIST_SIZE,
            "markets": [1, 60],
            "quantity": [1, 1_000_000_000],
            "amount": 15,
        },
        "reasons": {reason.value: verdict.value for reason, verdict in REASON_VERDICT.items()},
        "recognition_reasons": {reason.value: verdict.value for reason, verdict in RECOGNITION_VERDICT.items()},
        "roles": ["issue", "recognise"],
    }


def write_tables(repo: Path | None = None) -> list[Path]:
    """Write ``docs/spec/tables.json`` and ``web/seal/tables.js`` under ``repo`` (default: this checkout)."""
    repo = repo or Path(__file__).resolve().parents[2]
    written = [repo / "docs" / "spec" / "tables.json", repo / "web" / "seal" / "tables.js"]
    written[0].write_text(tables_json(), "utf-8")
    written[1].write_text(tables_module(), "utf-8")
    return written


def tables_json() -> str:
    """``docs/spec/tables.json``: the tables, two-space indented, non-ASCII as itself."""
    return json.dumps(tables(), ensure_ascii=False, indent=2) + "\n"


def tables_module() -> str:
    """``web/seal/tables.js``: the same tables as an ES module (browsers and Node import it alike)."""
    return (
        "// Generated from verifier/seal/spec.py by `make vectors`; the suite holds it equal to docs/spec/tables.json.\n"  # noqa: E501
        f"export default {json.dumps(tables(), ensure_ascii=False, indent=2)};\n"
    )
