"""The public reads from memory (issue 27): credentials stored at issuance and served as stored, status lists
held signed in memory, known seals answered without the database, and conditional requests."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from tests.helpers import CURRENT, PUBLIC_URL, Service
from tests.helpers.credentials import fetch
from verifier.store.tables import certificate_credentials, certificates

JWT = "application/vc+jwt"
VC = "application/vc"


def issued(service: Service, number: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """One demo certificate issued (the issuer registered first unless ``headers`` are its token's)."""
    body = dict(CURRENT["zhejiang-made-kettle"], **({"number": number} if number else {}))
    made = service.client.post("/api/v1/certificates", json=body, headers=headers or service.issuer())
    assert made.status_code == 201, made.text
    return dict(made.json())


def path_of(url: str) -> str:
    return url.removeprefix(PUBLIC_URL)


def engine_of(service: Service) -> Any:
    return service.client.app.state.services.registry.engine  # type: ignore[attr-defined]


def stored_jwt(service: Service, certificate_id: str) -> str | None:
    with engine_of(service).connect() as conn:
        return conn.execute(
            select(certificate_credentials.c.jwt)
            .join(certificates, certificates.c.seq == certificate_credentials.c.certificate_seq)
            .where(certificates.c.id == certificate_id)
        ).scalar()


class Unreachable:
    """Stands in for a store the request path must not touch: any use fails the request (and the test)."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the database was asked ({name}) on a path served from memory")


@pytest.fixture
def services(service: Service) -> Any:
    return service.client.app.state.services  # type: ignore[attr-defined]


def test_the_credential_is_signed_at_issuance_and_served_as_stored(service: Service) -> None:
    made = issued(service)
    stored = stored_jwt(service, made["id"])
    assert stored is not None  # in the issuance's transaction, before anyone asked
    header, _, jwt = fetch(service, made)
    assert jwt == stored and header["kid"].endswith(made["kid"])  # the key that sealed it
    bare = service.client.get(path_of(made["credential_url"]), headers={"Accept": JWT})
    assert bare.headers["etag"] == f'"{hashlib.sha256(bare.content).hexdigest()[:32]}"'  # strong: the bytes' digest
    enveloped = service.client.get(path_of(made["credential_url"]))
    assert enveloped.headers["etag"] != bare.headers["etag"] and enveloped.headers["vary"] == "Accept"


def test_a_rotation_changes_no_credential_and_the_lists_take_the_new_key(service: Service) -> None:
    made = issued(service)
    before = service.client.get(path_of(made["credential_url"]), headers={"Accept": JWT})
    status_path = path_of(fetch(service, made)[1]["credentialStatus"][0]["statusListCredential"])
    list_before = service.client.get(status_path, headers={"Accept": JWT}).text
    assert service.client.post("/api/v1/issuers/zjcert/keys/rotate", headers=service.admin).status_code == 200
    after = service.client.get(path_of(made["credential_url"]), headers={"Accept": JWT})
    assert after.content == before.content and after.headers["etag"] == before.headers["etag"]
    list_after = service.client.get(status_path, headers={"Accept": JWT}).text
    assert list_after != list_before  # the lists are signed by the active key


def test_an_earlier_certificate_gets_its_credential_on_first_read_once(service: Service) -> None:
    """Issued before credentials were stored (its row deleted here): signed on the first read by the key that
    sealed it, even after a rotation, stored, and the same bytes on every later read and replica."""
    from fastapi.testclient import TestClient

    from verifier.server.app import create_app

    made = issued(service)
    issued_jwt = stored_jwt(service, made["id"])
    with engine_of(service).begin() as conn:
        conn.execute(delete(certificate_credentials))
    service.client.post("/api/v1/issuers/zjcert/keys/rotate", headers=service.admin)
    with TestClient(create_app(service.settings)) as replica:
        first = replica.get(path_of(made["credential_url"]), headers={"Accept": JWT})
        assert first.status_code == 200
        assert first.text == issued_jwt  # deterministic: the same key and content sign the same JWT
        assert stored_jwt(service, made["id"]) == first.text
    again = service.client.get(path_of(made["credential_url"]), headers={"Accept": JWT})
    assert again.text == first.text
    with engine_of(service).connect() as conn:
        assert conn.execute(select(func.count()).select_from(certificate_credentials)).scalar_one() == 1


def test_conditional_requests_are_bounded_and_never_fail(service: Service) -> None:
    made = issued(service)
    url = path_of(made["credential_url"])
    tag = service.client.get(url).headers["etag"]
    status_url = path_of(fetch(service, made)[1]["credentialStatus"][0]["statusListCredential"])
    list_tag = service.client.get(status_url).headers["etag"]
    for path, etag in ((url, tag), (status_url, list_tag)):
        for header in (etag, f"W/{etag}", f'"x", "y", {etag}', "*"):
            answer = service.client.get(path, headers={"If-None-Match": header})
            assert answer.status_code == 304 and answer.content == b"" and answer.headers["etag"] == etag, header
        hostile = [
            '"a"' * 3000,  # huge
            ", ".join(f'"{i}"' for i in range(2000)) + f", {etag}",  # many tags: the match is past the bound
            '", , ,W/W/"',
            "\x00garbage",
        ]
        for header in hostile:
            answer = service.client.get(path, headers={"If-None-Match": header})
            assert answer.status_code == 200 and answer.headers["etag"] == etag, header[:40]
        ranged = service.client.get(path, headers={"Range": "bytes=0-10, 5-1, -99999999999999999999"})
        assert ranged.status_code == 200 and len(ranged.content) > 11  # ranges are not served: the whole body
        for accept in ("application/vc+jwt;q=0.5, */*", "*/*", "text/html", ";;;,", "application/" + "x" * 5000):
            answer = service.client.get(path, headers={"Accept": accept})
            assert answer.status_code == 200, accept[:40]
            assert answer.headers["content-type"].split(";")[0] in (JWT, VC)
        assert service.client.head(path).status_code == 200


def test_unknown_credentials_and_lists_are_404s(service: Service) -> None:
    issued(service)
    unknown = ["/credentials/not-a-uuid", "/credentials/5b1f0e4e-6c7a-4b8e-9c1d-2a3b4c5d6e7f",
               "/status/zjcert/revocation/1", "/status/zjcert/other/0", "/status/nobody/revocation/0",
               "/status/zjcert/revocation/00", "/status/zjcert/revocation/99999999999",
               "/status/ZJ/revocation/0"]  # fmt: skip
    for path in unknown:
        answer = service.client.get(path)
        assert answer.status_code == 404 and answer.json()["error"] == "not_found", path


def test_status_lists_and_known_seals_are_served_without_the_database(service: Service, services: Any) -> None:
    """Once a list is built and a seal was scanned, the answers come from memory: with the database's stores
    taken away, a list, a credential asked for before and a known seal's verdict are still answered."""
    made = issued(service)
    scan = path_of(made["verify_url"])
    status_path = path_of(fetch(service, made)[1]["credentialStatus"][0]["statusListCredential"])
    listed = service.client.get(status_path).content
    assert service.client.get(scan, headers={"Accept": "application/json"}).json()["verdict"] == "valid"
    registry = services.registry
    saved = registry.statuslists, registry.seals, registry.credentials, registry.certificates
    registry.statuslists = registry.seals = registry.credentials = registry.certificates = Unreachable()
    try:
        assert service.client.get(status_path).content == listed
        assert service.client.get(scan, headers={"Accept": "application/json"}).json()["verdict"] == "valid"
        assert service.client.get(path_of(made["credential_url"])).status_code == 200
    finally:
        registry.statuslists, registry.seals, registry.credentials, registry.certificates = saved


def test_a_status_change_reaches_known_seals_here_at_once_and_on_a_replica_within_a_second(
    service: Service,
) -> None:
    from fastapi.testclient import TestClient

    from verifier.server.app import create_app

    token = service.issuer()
    made = issued(service, headers=token)
    scan = path_of(made["verify_url"])
    json_ = {"Accept": "application/json"}
    with TestClient(create_app(service.settings)) as replica:
        for client in (service.client, replica):
            assert client.get(scan, headers=json_).json()["verdict"] == "valid"  # now known to each
        changed = service.client.post(f"/api/v1/certificates/{made['id']}/revoke", json={"reason": "fraud"},
                                      headers=token)  # fmt: skip
        assert changed.status_code == 200
        assert service.client.get(scan, headers=json_).json()["verdict"] == "revoked"  # here: at once
        deadline = time.monotonic() + 1.0
        while replica.get(scan, headers=json_).json()["verdict"] != "revoked" and time.monotonic() < deadline:
            time.sleep(0.02)
        seen = replica.get(scan, headers=json_).json()
        assert (seen["verdict"], seen["status"]["reason"]) == ("revoked", "fraud")


def test_the_known_seals_are_bounded(service: Service, services: Any) -> None:
    token = service.issuer()
    scans = [path_of(issued(service, f"ZJM-B-{i}", token)["verify_url"]) for i in range(5)]
    services.known.size = 3
    for scan in scans:
        assert service.client.get(scan, headers={"Accept": "application/json"}).json()["verdict"] == "valid"
    assert len(services.known) == 3


def test_a_database_that_does_not_answer_a_new_seal_is_a_503_not_a_500(service: Service, services: Any) -> None:
    from verifier.store.seals import RegistryUnavailable

    made = issued(service)

    def down(cose: bytes) -> None:
        raise RegistryUnavailable("the registry did not answer in time; try again")

    services.registry.seals.placed = down
    answer = service.client.get(path_of(made["verify_url"]), headers={"Accept": "application/json"})
    assert answer.status_code == 503 and answer.json()["error"] == "registry_unavailable"
    assert answer.headers["retry-after"] == "1"


def test_lookups_of_new_seals_hold_a_bounded_number_of_connections(service: Service, services: Any) -> None:
    """Lookups share a few connections of their own, whatever the threads asking: 24 threads looking up at
    once hold at most READERS (each thread once kept its own, and 40 of them starved the pool, the
    credentials and the lists' poll)."""
    from concurrent.futures import ThreadPoolExecutor

    from verifier.seal.cose import decode_segment
    from verifier.store.seals import READERS

    token = service.issuer()
    made = [issued(service, f"ZJM-P-{i}", token) for i in range(24)]
    seals = [decode_segment(m["verify_url"].rsplit("/", 1)[1]) for m in made]
    with ThreadPoolExecutor(24) as pool:
        found = list(pool.map(services.registry.seals.placed, seals * 4))
    assert all(f is not None and f[0].certificate_id == m["id"] for f, m in zip(found, made * 4, strict=True))
    # the lookups' own count: the engine's pool also lends to the lists' and recognitions' polls meanwhile
    assert services.registry.seals.held <= READERS
    assert service.client.get(path_of(made[0]["credential_url"])).status_code == 200  # the pool still lends
