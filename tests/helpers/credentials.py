"""A certificate's credential as a test fetches it: the JWT's header and payload."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.helpers import PUBLIC_URL, Service


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def fetch(service: Service, made: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The enveloped credential's JWT: its header, payload, and the JWT."""
    path = made["credential_url"].removeprefix(PUBLIC_URL)
    answer = service.client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vc")
    envelope = answer.json()
    assert envelope["type"] == "EnvelopedVerifiableCredential"
    assert envelope["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    jwt = envelope["id"].removeprefix("data:application/vc+jwt,")
    bare = service.client.get(path, headers={"Accept": "application/vc+jwt"})
    assert bare.headers["content-type"].startswith("application/vc+jwt") and bare.text == jwt
    header, payload, _ = jwt.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), jwt
