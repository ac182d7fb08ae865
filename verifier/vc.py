"""W3C Verifiable Credentials 2.0: what every credential here shares (the certificates' DCCs, the status lists)."""

from __future__ import annotations

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
