"""Trust lists that must not be used: expired, too old, replayed; and the published one, cached (both databases)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from tests.helpers import Service


def test_published_list_has_a_version_that_only_goes_up(service: Service) -> None:
    first = service.client.get("/api/v1/trust-list")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    assert service.client.get("/api/v1/trust-list", headers={"If-None-Match": etag}).status_code == 304
    assert service.client.head("/api/v1/trust-list").headers["etag"] == etag  # a cache may just ask
    assert service.client.get("/api/v1/trust-list").content == first.content  # the same bytes within a minute
    versions = [json.loads(first.content)["trust_list"]["version"]]
    service.issuer()
    after_issuer = service.client.get("/api/v1/trust-list")
    assert after_issuer.headers["etag"] != etag  # a change shows at once
    versions.append(json.loads(after_issuer.content)["trust_list"]["version"])
    service.client.post("/api/v1/issuers/zjcert/keys/rotate", headers=service.admin)
    rotated = json.loads(service.client.get("/api/v1/trust-list").content)["trust_list"]
    versions.append(rotated["version"])
    kid = rotated["parties"][0]["keys"][0]["kid"]
    service.client.post(f"/api/v1/issuers/zjcert/keys/{kid}/withdraw", headers=service.admin)
    withdrawn = json.loads(service.client.get("/api/v1/trust-list").content)["trust_list"]
    versions.append(withdrawn["version"])
    assert versions == sorted(set(versions))  # strictly rising
    issued = datetime.fromisoformat(withdrawn["issued_at"])
    assert datetime.fromisoformat(withdrawn["expires_at"]) - issued == timedelta(days=30)
    assert issued.second == 0  # the minute's start: every replica signs the same bytes in a minute
