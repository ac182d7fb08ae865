"""Watches, end to end on the service in process and a real HTTPS receiver: a change delivered signed within
seconds, retried while the receiver is down, never sent to a forbidden address (a redirect to the metadata
service, a name for loopback), ended by its link or by 410; floods refused; the issuer's Atom feed.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import orjson
import pytest

from tests.helpers import CURRENT, Service, make_settings, running_service
from tests.helpers.receiver import Receiver, start_receiver
from verifier.trust.keys import KeyStore

KETTLE = CURRENT["zhejiang-made-kettle"]


@contextmanager
def watching(tmp_path: Path, service_database: str, **settings: Any) -> Iterator[tuple[Service, Receiver]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    receiver, ca = start_receiver(tmp_path)
    base = make_settings(tmp_path, service_database)
    serving = contextmanager(running_service)
    more = {"webhook_allow": "127.0.0.1/32", "webhook_ca_file": str(ca), "watch_rate_limit": None, **settings}
    try:
        with serving(replace(base, **more)) as service:
            service.client.app.state.services.dispatcher.deadline = 2.0  # type: ignore[attr-defined]
            yield service, receiver
    finally:
        receiver.stop()


@pytest.fixture
def hooked(tmp_path: Path, service_database: str) -> Iterator[tuple[Service, Receiver]]:
    with watching(tmp_path, service_database) as found:
        yield found


def issue(service: Service, issuer: dict[str, str], number: str) -> dict[str, Any]:
    made = service.client.post("/api/v1/certificates", json={**KETTLE, "number": number}, headers=issuer)
    assert made.status_code == 201, made.text
    return dict(made.json())


def subscribe(service: Service, qr: str, url: str) -> dict[str, Any]:
    answer = service.client.post("/api/v1/watches", json={"qr": qr, "url": url})
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def wait_for(check: Any, seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not within the time")


def signed_by_operator(service: Service, received: Any) -> dict[str, Any]:
    """The delivery's body, once its Standard Webhooks v1a signature is checked with the operator's key."""
    key = KeyStore(service.settings.keys_dir).keyring("operator").active.public_key
    headers = received.headers
    assert headers["webhook-signature"].startswith("v1a,")
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    key.verify(base64.b64decode(headers["webhook-signature"][4:]), signed)  # raises when it does not hold
    return dict(orjson.loads(received.body))


def test_a_suspension_reaches_the_receiver_signed_within_seconds(hooked: tuple[Service, Receiver]) -> None:
    service, receiver = hooked
    issuer = service.issuer()
    made = issue(service, issuer, "W-1")
    watch = subscribe(service, made["qr"], receiver.url)
    assert watch["certificate"]["number"] == "W-1" and watch["token"] and "certificate.suspended" in watch["events"]
    assert subscribe(service, made["qr"], receiver.url)["id"] == watch["id"]  # the same watch, not a second
    started = time.monotonic()
    service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"},
                        headers=issuer)  # fmt: skip
    (first,) = wait_for(lambda: receiver.received)
    assert first.at - started < 5
    body = signed_by_operator(service, first)
    assert body["type"] == "certificate.suspended"
    data = body["data"]
    assert data["certificate"]["number"] == "W-1" and data["change"]["reason"] == "investigation"
    assert data["certificate"]["verify_url"].startswith(service.settings.public_url + "/c/")
    assert data["unsubscribe_url"].endswith(f"/watches/{watch['id']}/unsubscribe?token={watch['token']}")
    assert first.headers["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    log = service.client.get(f"/api/v1/watches/{watch['id']}", params={"token": watch["token"]}).json()
    assert log["token"] is None and log["deliveries"][0]["state"] == "delivered"
    assert log["deliveries"][0]["attempts"][0]["status"] == 200
    assert service.client.get(f"/api/v1/watches/{watch['id']}", params={"token": "x" * 43}).status_code == 404
    # reinstated, then revoked: each told, in order
    service.client.post(f"/api/v1/certificates/{made['id']}/reinstate", json={"reason": "cleared"}, headers=issuer)
    service.client.post(f"/api/v1/certificates/{made['id']}/revoke", json={"reason": "fraud"}, headers=issuer)
    wait_for(lambda: len(receiver.received) >= 3)
    assert [orjson.loads(r.body)["type"] for r in receiver.received] == [
        "certificate.suspended", "certificate.reinstated", "certificate.revoked"]  # fmt: skip


def test_a_receiver_that_is_down_gets_it_when_it_is_back(hooked: tuple[Service, Receiver]) -> None:
    service, receiver = hooked
    dispatch = service.client.app.state.services.dispatcher  # type: ignore[attr-defined]
    issuer = service.issuer()
    made = issue(service, issuer, "W-2")
    watch = subscribe(service, made["qr"], receiver.url)
    receiver.answers[:] = [(503, {}, 0.0), (500, {}, 0.0)]
    service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"},
                        headers=issuer)  # fmt: skip
    wait_for(lambda: len(receiver.received) == 1)
    registry = service.client.app.state.services.registry  # type: ignore[attr-defined]
    for tried in (1, 2):  # the back-off's waits, skipped: the delivery made due now
        wait_for(lambda: _pending(registry, tried))  # noqa: B023 - waited for at once
        _due_now(registry, service.clock())
    wait_for(lambda: len(receiver.received) == 3)
    log = wait_for(lambda: _delivered(service, watch))
    assert [a["status"] for a in log["attempts"]] == [503, 500, 200]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # one delivery, tried three times
    assert dispatch is not None


def _pending(registry: Any, attempts: int) -> bool:
    from sqlalchemy import select

    from verifier.store.customstables import watch_deliveries

    with registry.engine.connect() as conn:
        row = conn.execute(select(watch_deliveries.c.attempts, watch_deliveries.c.leased_until)
                           .where(watch_deliveries.c.state == "pending")).first()  # fmt: skip
    return row is not None and row.attempts == attempts and row.leased_until is None


def _due_now(registry: Any, at: Any) -> None:
    from sqlalchemy import update

    from verifier.store.customstables import watch_deliveries
    from verifier.store.database import write_transaction

    with write_transaction(registry.engine) as conn:
        conn.execute(update(watch_deliveries).where(watch_deliveries.c.state == "pending").values(next_at=at))


def _delivered(service: Service, watch: dict[str, Any]) -> dict[str, Any] | None:
    log = service.client.get(f"/api/v1/watches/{watch['id']}", params={"token": watch["token"]}).json()
    first = log["deliveries"][0] if log["deliveries"] else None
    return first if first and first["state"] == "delivered" else None


def test_never_delivered_to_a_forbidden_address(hooked: tuple[Service, Receiver]) -> None:
    service, receiver = hooked
    issuer = service.issuer()
    made = issue(service, issuer, "W-3")
    watch = subscribe(service, made["qr"], receiver.url)
    receiver.answers[:] = [(308, {"Location": "https://169.254.169.254/latest/meta-data/"}, 0.0)]
    service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"},
                        headers=issuer)  # fmt: skip
    log = wait_for(lambda: _attempted(service, watch))
    assert "link-local" in log["attempts"][0]["outcome"] and log["attempts"][0]["status"] is None
    assert len(receiver.received) == 1  # the redirect's target was never reached
    # a 302 is not followed at all (it would turn the POST into a GET elsewhere)
    receiver.answers[:] = [(302, {"Location": "https://127.0.0.1:1/x"}, 0.0)]
    _due_now(service.client.app.state.services.registry, service.clock())  # type: ignore[attr-defined]
    log = wait_for(lambda: _attempted(service, watch, 2))
    assert log["attempts"][1]["outcome"].startswith("redirected with 302")


def _attempted(service: Service, watch: dict[str, Any], count: int = 1) -> dict[str, Any] | None:
    log = service.client.get(f"/api/v1/watches/{watch['id']}", params={"token": watch["token"]}).json()
    first = log["deliveries"][0] if log["deliveries"] else None
    return first if first and len(first["attempts"]) >= count else None


def test_a_receiver_that_hangs_costs_one_deadline(hooked: tuple[Service, Receiver]) -> None:
    service, receiver = hooked
    issuer = service.issuer()
    made = issue(service, issuer, "W-4")
    watch = subscribe(service, made["qr"], receiver.url)
    receiver.hang = True
    service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"},
                        headers=issuer)  # fmt: skip
    log = wait_for(lambda: _attempted(service, watch), seconds=15)
    attempt = log["attempts"][0]
    assert attempt["outcome"] == "no answer within 2 s" and 1900 <= attempt["ms"] < 4000
    assert log["state"] == "pending" and log["next_at"] is not None  # tried again later
    assert service.client.get("/healthz").status_code == 200  # the service went on meanwhile


def test_410_ends_the_watch_and_the_link_ends_another(hooked: tuple[Service, Receiver]) -> None:
    service, receiver = hooked
    issuer = service.issuer()
    made = issue(service, issuer, "W-5")
    watch = subscribe(service, made["qr"], receiver.url)
    receiver.answers[:] = [(410, {}, 0.0)]
    service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"},
                        headers=issuer)  # fmt: skip
    log = wait_for(lambda: _attempted(service, watch))
    assert log["state"] == "dropped"
    ended = service.client.get(f"/api/v1/watches/{watch['id']}", params={"token": watch["token"]}).json()
    assert ended["ended_why"] == "gone"
    other = subscribe(service, made["qr"], receiver.url + "?second")
    page = service.client.get(f"/watches/{other['id']}/unsubscribe", params={"token": other["token"]})
    assert page.status_code == 200 and "<form" in page.text and "W-5" in page.text
    done = service.client.post(f"/watches/{other['id']}/unsubscribe", params={"token": other["token"]})
    assert done.status_code == 200 and "no longer" in done.text
    before = len(receiver.received)
    service.client.post(f"/api/v1/certificates/{made['id']}/reinstate", json={"reason": "cleared"}, headers=issuer)
    time.sleep(1.5)
    assert len(receiver.received) == before  # both watches ended: nothing more sent
    assert service.client.post(f"/watches/{other['id']}/unsubscribe", params={"token": "wrong"}).status_code == 404


def test_targets_and_certificates_that_cannot_be_watched(tmp_path: Path, service_database: str) -> None:
    with watching(tmp_path, service_database, webhook_allow="") as (service, receiver):
        made = issue(service, service.issuer(), "W-6")
        post = service.client.post
        for url, words in (
            (receiver.url, "loopback"),  # 127.0.0.1, not allowed here
            ("https://localhost/hook", "loopback"),  # a name for it
            ("http://example.org/hook", "https"),
            ("https://user:pw@example.org/", "user name"),
            ("https://169.254.169.254/latest/meta-data/", "link-local"),
            ("https://10.0.0.8/", "private"),
            ("https://[::ffff:127.0.0.1]/", "loopback"),
            ("https://x/" + "a" * 3000, "at most"),
            ("https://exa mple.org/", "spaces"),
        ):
            answer = post("/api/v1/watches", json={"qr": made["qr"], "url": url})
            assert answer.status_code == 422, (url, answer.text)
            assert words in answer.json()["message"], (url, answer.json()["message"])
        forged = made["qr"][:-10] + ("A" if made["qr"][-10] != "A" else "B") + made["qr"][-9:]
        for body in (
            {"qr": forged, "url": "https://example.org/"},
            {"qr": "HELLO", "url": "https://example.org/"},
            {"url": "https://example.org/"},
            {"qr": made["qr"]},
            {"qr": 5, "url": "https://e.org/"},
        ):
            assert post("/api/v1/watches", json=body).status_code == 422, body


def test_a_subscriber_flooding_watches_is_refused(tmp_path: Path, service_database: str) -> None:
    with watching(tmp_path, service_database, watches_per_receiver=3) as (service, receiver):
        issuer = service.issuer()
        made = [issue(service, issuer, f"W-F{i}") for i in range(4)]
        for certificate in made[:3]:
            subscribe(service, certificate["qr"], receiver.url)
        refused = service.client.post("/api/v1/watches", json={"qr": made[3]["qr"], "url": receiver.url})
        assert refused.status_code == 409 and refused.json()["error"] == "too_many_watches"
    again = f"sqlite:///{tmp_path / 'again.db'}"
    with watching(tmp_path / "again", again, watch_rate_limit=(2, 3600.0)) as (service, receiver):
        issuer = service.issuer()
        made = [issue(service, issuer, f"W-G{i}") for i in range(3)]
        for certificate in made[:2]:
            subscribe(service, certificate["qr"], receiver.url)
        refused = service.client.post("/api/v1/watches", json={"qr": made[2]["qr"], "url": receiver.url})
        assert refused.status_code == 429 and "retry-after" in refused.headers


def test_the_issuers_atom_feed(hooked: tuple[Service, Receiver]) -> None:
    service, _ = hooked
    issuer = service.issuer()
    made = issue(service, issuer, "W-7")
    service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"},
                        headers=issuer)  # fmt: skip
    answer = service.client.get("/issuers/zjcert/feed.atom")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(answer.content)
    atom = "{http://www.w3.org/2005/Atom}"
    (entry,) = feed.findall(f"{atom}entry")
    assert entry.findtext(f"{atom}title") == "W-7 suspended"
    assert entry.find(f"{atom}link").get("href").startswith(service.settings.public_url + "/c/")  # type: ignore[union-attr]
    assert service.client.get("/issuers/nobody/feed.atom").status_code == 404


def test_a_recognition_lapses_and_changes(hooked: tuple[Service, Receiver]) -> None:
    from tests.service.test_recognitions import Scene

    service, receiver = hooked
    scene = Scene(service)
    client, cid = service.client, scene.certificate["id"]
    watch = subscribe(service, scene.certificate["qr"], receiver.url)
    terms = {"certificate_id": cid, "number": "SGS-DE-2026-0001", "markets": ["DE"], "basis": ["EN 12266-1:2012"]}
    made = client.post("/api/v1/recognitions", headers=scene.sgs, json=terms).json()
    client.post(f"/api/v1/certificates/{cid}/suspend", json={"reason": "investigation"}, headers=scene.issuer)
    client.post(f"/api/v1/certificates/{cid}/reinstate", json={"reason": "cleared"}, headers=scene.issuer)
    client.post(f"/api/v1/recognitions/{made['id']}/suspend", json={"reason": "investigation"}, headers=scene.sgs)
    wait_for(lambda: len(receiver.received) >= 4)
    bodies = [signed_by_operator(service, r) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["certificate.suspended", "recognition.lapsed", "certificate.reinstated",
                                           "recognition.suspended"]  # fmt: skip
    lapse = bodies[1]["data"]
    assert lapse["recognition"] == {"id": made["id"], "body": "sgs", "number": "SGS-DE-2026-0001"}
    assert lapse["watch"] == watch["id"] and bodies[3]["data"]["change"]["state"] == "suspended"


def test_a_receiver_that_answers_slowly_within_the_deadline_gets_it(hooked: tuple[Service, Receiver]) -> None:
    service, receiver = hooked
    issuer = service.issuer()
    made = issue(service, issuer, "W-8")
    watch = subscribe(service, made["qr"], receiver.url)
    receiver.answers[:] = [(200, {}, 1.2)]  # within the 2 s the test's dispatcher allows
    service.client.post(f"/api/v1/certificates/{made['id']}/suspend", json={"reason": "investigation"},
                        headers=issuer)  # fmt: skip
    log = wait_for(lambda: _delivered(service, watch))
    (attempt,) = log["attempts"]
    assert attempt["status"] == 200 and attempt["ms"] >= 1200
