"""A certificate as a UN/CEFACT UNTP Digital Conformity Credential (DCC 0.6.1) on W3C VC 2.0.

The same registry record the seal and the PDF come from, mapped field by field as docs/credentials.md
says: the issuer is its did:web, the subject a ``ConformityAttestation`` issued to the holder (its
unified social credit code as the registered identifier), scoped by the scheme, with one assessment
per product and standard, and the PDF as the ``conformityCertificate`` with its SHA-256. A CCC
exemption's quantity and declared value are declared values (UN/ECE Recommendation 20 units, ISO 4217
currency); its purpose and port of entry, which DCC 0.6.1 has no field for, are in the assessment's
description. The credential is unsigned here: :mod:`verifier.credentials.vcjose` envelopes it.

The product verifications, the declared values and their measures, and the PDF's link carry no
``type``: the DCC 0.6.1 schema allows it absent, and the types it would name (``ProductVerification``,
``Metric``, ``Measure``, ``SecureLink``, ``Link``) are not in the DCC 0.6.1 context, so a JSON-LD
processor in safe mode (as the UNTP conformance suite runs it) would refuse them as relative IRIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from verifier.certificate.codes import PORTS
from verifier.certificate.days import SCHEME_TZ
from verifier.credentials.did import host_did
from verifier.credentials.vcjose import VC_CONTEXT

DCC_CONTEXT = "https://test.uncefact.org/vocabulary/untp/dcc/0.6.1/"
CONTEXTS = [VC_CONTEXT, DCC_CONTEXT]
CREDENTIAL_TYPES = ["DigitalConformityCredential", "VerifiableCredential"]
CREDIT_CODE_REGISTER = (
    "https://www.gsxt.gov.cn"  # the national enterprise credit register (unified social credit codes)
)


@dataclass(frozen=True)
class SchemeProfile:
    """A conformity scheme as the credentials describe it."""

    name: str
    description: str
    owner: tuple[str, str]  # (id URI, name); no URI: the scheme's page here, #owner
    assessor_level: str
    assessment_level: str
    attestation_type: str
    topic: str


CNCA = ("https://www.cnca.gov.cn/", "Certification and Accreditation Administration of the People's Republic of China")
SCHEMES = {
    "zhejiang-made": SchemeProfile(
        "“Zhejiang Made” certification",
        "Third-party certification of products against the “Zhejiang Made” (T/ZZB) group standards.",
        ("", "Zhejiang Made International Certification Alliance"),
        "3rdParty", "Accredited", "certification", "governance.compliance",
    ),
    "international-cooperation": SchemeProfile(
        "International cooperation certification",
        "Third-party certification of products against the standards listed, recognised by partner bodies abroad.",
        ("", "Zhejiang Made International Certification Alliance"),
        "3rdParty", "Accredited", "certification", "governance.compliance",
    ),
    "ccc-exemption": SchemeProfile(
        "China Compulsory Certification (CCC) exemption",
        "Exemption from China Compulsory Certification for the goods, purpose, quantity and port stated.",
        CNCA, "3rdParty", "GovtApproval", "certification", "social.safety",
    ),
    "ccc-self-declaration": SchemeProfile(
        "China Compulsory Certification (CCC) self-declaration",
        "The manufacturer's declaration of conformity under the CCC self-declaration procedure.",
        CNCA, "Self", "Unspecified", "declaration", "social.safety",
    ),
}  # fmt: skip
SCHEME_PROFILE_DATE = "2024-01-01"  # the profile of the schemes above, as this registry maps them
SCHEME_PROFILE_VERSION = "1"

# Who issues a standard, by its code's prefix (the longest that matches).
STANDARD_BODIES = {
    "GB/T": ("https://www.sac.gov.cn/", "Standardization Administration of the People's Republic of China"),
    "GB": ("https://www.sac.gov.cn/", "Standardization Administration of the People's Republic of China"),
    "T/ZZB": ("urn:x-standard-body:T%2FZZB", "Zhejiang Brand Construction Federation"),
    "EN": ("https://www.cencenelec.eu/", "European Committee for Standardization (CEN) / CENELEC"),
    "IEC": ("https://www.iec.ch/", "International Electrotechnical Commission"),
    "ISO": ("https://www.iso.org/", "International Organization for Standardization"),
}
# UN/ECE Recommendation 20 codes for the units a CCC exemption counts in.
REC20_UNITS = {"pieces": "H87", "sets": "SET", "units": "C62", "pairs": "PR", "kg": "KGM", "m": "MTR", "l": "LTR"}
PURPOSE_WORDS = {
    "research-and-development": "research and development",
    "certification-testing": "certification testing",
    "production-line-parts": "parts for production lines",
    "exhibition": "exhibition",
    "after-sales-repair": "after-sales repair",
    "re-export": "re-export",
    "other": "other",
}


@dataclass(frozen=True)
class Issued:
    """What the credential says beyond the certificate's record: where it lives and who issued it."""

    certificate_id: str
    public_url: str
    issuer_did: str
    issuer_name: str
    issued_at: datetime
    pdf_sha256: str | None
    status_entries: list[dict[str, Any]] | None = None  # its BitstringStatusListEntry per purpose


def credential_url(public_url: str, certificate_id: str) -> str:
    """Where the certificate's credential is published (its ``id`` too)."""
    return f"{public_url}/credentials/{certificate_id}"


RECOGNITIONS_NAME = "Recognitions of this certificate by partner bodies of the alliance"
ALLIANCE = "Zhejiang Made International Certification Alliance (the trust list's operator)"


def recognitions_url(public_url: str, certificate_id: str) -> str:
    """Where a certificate's recognitions are listed, each with its credential."""
    return f"{credential_url(public_url, certificate_id)}/recognitions"


def recognition_credential_url(public_url: str, certificate_id: str, recognition_id: str) -> str:
    """Where a recognition's credential is published (its ``id`` too)."""
    return f"{recognitions_url(public_url, certificate_id)}/{recognition_id}"


def authorisation(public_url: str, certificate_id: str) -> list[dict[str, Any]]:
    """The base DCC's ``authorisation``: the list of the partner bodies' recognitions, each a credential."""
    listed = recognitions_url(public_url, certificate_id)
    return [{
        "type": ["Endorsement"],
        "id": listed,
        "name": RECOGNITIONS_NAME,
        "issuingAuthority": {"id": host_did(public_url), "name": ALLIANCE},
        "endorsementEvidence": {"linkURL": listed, "linkName": RECOGNITIONS_NAME, "linkType": "application/json"},
    }]  # fmt: skip


def _day_start(day: str) -> str:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), SCHEME_TZ).isoformat()


def _day_end(day: str) -> str:
    """The last second of a CST calendar day: where the validity ends."""
    end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), datetime.min.time(), SCHEME_TZ)
    return (end - timedelta(seconds=1)).isoformat()


def _standard_body(code: str) -> tuple[str, str]:
    prefixes = sorted((p for p in STANDARD_BODIES if code.upper().startswith(p)), key=len, reverse=True)
    if prefixes:
        return STANDARD_BODIES[prefixes[0]]
    prefix = code.split(" ", 1)[0]
    return (f"urn:x-standard-body:{quote(prefix, safe='')}", prefix)


def holder_party(holder: dict[str, Any]) -> dict[str, Any]:
    """The certificate's holder as a credential's ``issuedToParty``: by its unified social credit code."""
    return {
        "id": f"{CREDIT_CODE_REGISTER}#{holder['credit_code']}",
        "name": holder["name_en"],
        "registeredId": holder["credit_code"],
        "description": f"{holder['name']}; {holder['address_en']}",
    }


def envelope(url: str, issuer_did: str, issuer_name: str, valid_from: str, valid_until: str,
             subject: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """A DCC around ``subject``: its id, issuer and validity (whole CST days, ISO dates given)."""
    return {
        "@context": CONTEXTS,
        "type": CREDENTIAL_TYPES,
        "id": url,
        "issuer": {"type": ["CredentialIssuer"], "id": issuer_did, "name": issuer_name},
        "validFrom": _day_start(valid_from),
        "validUntil": _day_end(valid_until),
        "credentialSubject": subject,
    }


def scheme_scope(public_url: str, code: str) -> dict[str, Any]:
    """The scheme a credential attests under, as its ``scope``."""
    scheme = SCHEMES[code]
    return {
        "type": ["ConformityScheme"],
        "id": f"{public_url}/schemes/{code}",
        "name": scheme.name,
        "description": scheme.description,
        "version": SCHEME_PROFILE_VERSION,
        "validFrom": SCHEME_PROFILE_DATE,
        "owner": {"id": scheme.owner[0] or f"{public_url}/schemes/{code}#owner", "name": scheme.owner[1]},
    }


def dcc(record: dict[str, Any], issued: Issued) -> dict[str, Any]:
    """The unsigned DCC of a certificate ``record`` (the registry's JSON of it)."""
    scheme = SCHEMES[record["scheme"]]
    url = credential_url(issued.public_url, issued.certificate_id)
    holder = record["holder"]
    attestation: dict[str, Any] = {
        "type": ["ConformityAttestation", "Attestation"],
        "id": f"{url}#attestation",
        "name": f"{scheme.name} {record['number']}",
        "assessorLevel": scheme.assessor_level,
        "assessmentLevel": scheme.assessment_level,
        "attestationType": scheme.attestation_type,
        "description": f"{scheme.description} Certificate number {record['number']}; markets "
        f"{', '.join(record['markets'])}.",
        "issuedToParty": holder_party(holder),
        "scope": scheme_scope(issued.public_url, record["scheme"]),
        "assessment": _assessments(record, url, scheme, issued.issued_at),
        # The partner bodies' recognitions, each a credential of the body's: listed where this names.
        "authorisation": authorisation(issued.public_url, issued.certificate_id),
    }
    if issued.pdf_sha256:
        attestation["conformityCertificate"] = {
            "linkURL": f"{url}/pdf",
            "linkName": f"Certificate {record['number']} (PDF/A-3b)",
            "linkType": "application/pdf",
            "hashDigest": issued.pdf_sha256,
            "hashMethod": "SHA-256",
            "encryptionMethod": "none",
        }
    credential = envelope(url, issued.issuer_did, issued.issuer_name, record["valid_from"], record["valid_until"],
                          attestation)  # fmt: skip
    if issued.status_entries:
        credential["credentialStatus"] = issued.status_entries
    return credential


def _assessments(record: dict[str, Any], url: str, scheme: SchemeProfile, issued_at: datetime) -> list[dict[str, Any]]:
    """One assessment per product and standard."""
    exemption = record.get("exemption")
    declared, extra = [], ""
    if exemption:
        value = exemption["declared_value"]
        quantity = {"value": exemption["quantity"], "unit": REC20_UNITS[exemption["unit"]]}
        amount = {"value": float(value["amount"]), "unit": value["currency"]}
        declared = [
            {"metricName": "Quantity", "metricValue": quantity},
            {"metricName": "Declared value", "metricValue": amount},
        ]
        port = exemption["port_of_entry"]
        port_name = PORTS.get(port, ("", ""))[1]
        extra = (f" Exempted for {PURPOSE_WORDS[exemption['purpose']]}, {exemption['quantity']} {exemption['unit']}, "
                 f"declared value {value['amount']} {value['currency']}, port of entry {port}"
                 f"{f' ({port_name})' if port_name else ''}.")  # fmt: skip
    made = []
    for p, product in enumerate(record["products"], start=1):
        for s, standard in enumerate(record["standards"], start=1):
            body = _standard_body(standard["code"])
            assessment: dict[str, Any] = {
                "type": ["ConformityAssessment", "Declaration"],
                "id": f"{url}#assessment-{p}-{s}",
                "name": f"{product['name_en']} against {standard['code']}",
                "description": f"{product['name_en']} ({product['name']}), HS {product['hs_code']}, models "
                f"{', '.join(product['models'])}, assessed against {standard['code']} {standard['title_en']}.{extra}",
                "assessmentDate": issued_at.astimezone(SCHEME_TZ).date().isoformat(),
                "referenceStandard": {
                    "type": ["Standard"],
                    "name": f"{standard['code']} {standard['title_en']}",
                    "issuingParty": {"id": body[0], "name": body[1]},
                },
                "conformance": True,
                "conformityTopic": scheme.topic,
                "assessedProduct": [
                    {
                        "product": {
                            "id": f"{url}#product-{p}-{quote(model, safe='')}",
                            "name": f"{product['name_en']} {model}",
                            "registeredId": model,
                        },
                        "IDverifiedByCAB": scheme.assessor_level == "3rdParty",
                    }
                    for model in product["models"]
                ],
            }
            if declared:
                assessment["declaredValue"] = declared
            made.append(assessment)
    return made
