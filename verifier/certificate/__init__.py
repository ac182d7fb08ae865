"""The certificate: the record an issuer submits, validated strictly, and its lifecycle.

What a certificate is (:mod:`.model`, built from the strict fields of :mod:`.fields`), the code tables it
draws on (:mod:`.codes`: countries, currencies, ports, the credit code and HS code rules), what its codes
are called (:mod:`.names`), the scheme's days (:mod:`.days`), and the status lifecycle of a registered
one (:mod:`.status`). Nothing here seals, renders, stores or reaches the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.certificate.days import SCHEME_TZ, scheme_day, scheme_time
    from verifier.certificate.model import (
        AnyCertificate,
        Certificate,
        ExemptionPurpose,
        QuantityUnit,
        Scheme,
        certificate_json,
        describe_errors,
        parse_certificate,
    )
    from verifier.certificate.names import EXEMPTION_PURPOSES, TITLES, UNITS
    from verifier.certificate.status import LIST_SIZE, STATUS_PURPOSES, Action, TransitionRefused, next_state

__all__ = [
    "EXEMPTION_PURPOSES",
    "LIST_SIZE",
    "SCHEME_TZ",
    "STATUS_PURPOSES",
    "TITLES",
    "UNITS",
    "Action",
    "AnyCertificate",
    "Certificate",
    "ExemptionPurpose",
    "QuantityUnit",
    "Scheme",
    "TransitionRefused",
    "certificate_json",
    "describe_errors",
    "next_state",
    "parse_certificate",
    "scheme_day",
    "scheme_time",
]
__getattr__, __dir__ = exports(__name__, __file__)
