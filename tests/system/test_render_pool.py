"""Rendering as an attacker and a crowd meet it: nothing fetched, every render bounded, the workers shared fairly.

Each test runs real worker processes (``python -m verifier.paper.pool``) on real certificates; the slow
certificate is a template that loops, standing for any input that keeps WeasyPrint busy.
"""

from __future__ import annotations

import dataclasses
import http.server
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from tests.helpers import DEMO, PUBLIC_URL, SEALED_AT, Clock, make_settings
from verifier.certificate.model import certificate_json, parse_certificate
from verifier.errors import VerifierError
from verifier.issuing.recipe import seal_certificate
from verifier.paper import pool as renderpool
from verifier.paper.letterhead import Letterhead
from verifier.paper.pool import RenderPool
from verifier.paper.render import Document, Renderer, RenderError
from verifier.resources import TEMPLATES
from verifier.server.app import create_app
from verifier.store.records import Principal, Role
from verifier.trust.keys import new_signing_key

ISSUER = Letterhead("zjcert", "浙江省产品认证中心", "Zhejiang Product Certification Centre")


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    made = []
    for data in DEMO.values():
        certificate = parse_certificate(data)
        sealed = seal_certificate(certificate, key, PUBLIC_URL, SEALED_AT)
        made.append(Document(certificate_json(certificate), sealed.qr_text, sealed.cose, ISSUER, key.kid.hex(),
                             sealed.content.issued_at, PUBLIC_URL))  # fmt: skip
    return made


def _templates(tmp_path: Path, name: str, insert: str) -> Path:
    """A copy of the templates with ``insert`` put at the top of the certificate's body."""
    folder = tmp_path / name
    shutil.copytree(TEMPLATES, folder)
    page = folder / "certificate.html.j2"
    text = page.read_text("utf-8")
    page.write_text(text.replace("<body>", "<body>" + insert, 1), "utf-8")
    assert insert in page.read_text("utf-8")
    return folder


@pytest.fixture
def pool() -> Iterator[RenderPool]:
    """One worker, the service's deadline (a loaded machine's render workers, at niceness 19, wait)."""
    made = RenderPool(1, idle_seconds=30)
    yield made
    made.close()


@pytest.fixture
def quick_pool() -> Iterator[RenderPool]:
    """One worker whose certificates have 6 s each: a runaway template is cut off soon."""
    made = RenderPool(1, idle_seconds=30, deadline=6.0)
    yield made
    made.close()


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counting.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_certificate_fetches_nothing_and_opens_no_file_of_ours(tmp_path: Path, documents: list[Document]) -> None:
    """Whatever reaches the page (here the template itself names them): no URL is fetched, no file outside the
    templates and the page's fonts is opened (a FIFO would hang the render for ever), the page still renders."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    secret = tmp_path / "secret.css"
    secret.write_text("body { background: red }")
    base = f"http://127.0.0.1:{server.server_port}"
    insert = (f'<img src="{base}/img.png"><img src="{fifo.as_uri()}"><link rel="stylesheet" href="{secret.as_uri()}">'
              f'<style>@import url("{base}/import.css"); p {{ background: url("{base}/bg.png") }}</style>'
              f'<img src="{Path("/etc/hostname").as_uri()}"><img src="data:text/html,<b>x</b>">')  # fmt: skip
    folder = _templates(tmp_path, "fetching", insert)
    done: list[bytes] = []
    thread = threading.Thread(target=lambda: done.append(Renderer(folder).pdf(documents[0])), daemon=True)
    thread.start()
    thread.join(60)
    server.shutdown()
    server.server_close()
    assert done and done[0].startswith(b"%PDF-"), "the render hung (it opened the FIFO) or failed"
    assert _Counting.hits == []


def test_a_stamp_stored_before_the_checks_grew_stricter_is_not_printed(
    documents: list[Document], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The stamp is checked again as it is rendered: one kept by an older version, that the checks now refuse,
    fails the certificate with a message for the operator rather than reaching WeasyPrint."""
    from verifier.paper.stamps import SVG, Stamp

    escaped = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">'
               b'<rect width="9" height="9" style="fill: \\75 rl(file:///etc/passwd)"/></svg>')  # fmt: skip
    document = dataclasses.replace(documents[0], issuer=dataclasses.replace(ISSUER, stamp=Stamp(SVG, escaped)))
    with pytest.raises(RenderError, match="upload it again"):
        Renderer().pdf(document)
    # The service names the issuer when it starts, before anyone tries to issue.
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'verifier.db'}", render_pdfs=True)
    with TestClient(create_app(settings, Clock())) as client:
        admin = {"Authorization": f"Bearer {settings.admin_token}"}
        client.post("/api/v1/issuers", json={"id": "zjcert", "name": "浙江", "name_en": "ZJ"}, headers=admin)
        registry = client.app.state.services.registry  # type: ignore[attr-defined]
        registry.issuers.set_stamp(Principal("admin", Role.OPERATOR), "zjcert", Stamp(SVG, escaped), SEALED_AT)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="verifier"), TestClient(create_app(settings, Clock())):
        pass
    assert any("zjcert's stamp is refused" in r.getMessage() for r in caplog.records), caplog.records


def test_a_render_past_its_deadline_fails_alone_and_its_worker_is_replaced(
    tmp_path: Path, documents: list[Document], quick_pool: RenderPool
) -> None:
    pool = quick_pool
    slow = _templates(tmp_path, "slow", "{% for i in range(10**9) %}{% endfor %}")
    assert [type(r) for r in pool.render("a", TEMPLATES, documents[:1])] == [bytes]
    first = pool.pids()
    started = time.monotonic()
    failed = pool.render("evil", slow, documents[:1])
    assert time.monotonic() - started < 15
    assert isinstance(failed[0], RenderError) and "to render" in str(failed[0]), failed
    assert pool.pids() != first  # the worker that ran out of time is gone
    assert not any(os.path.exists(f"/proc/{pid}") and _state(pid) != "Z" for pid in first)
    # The next certificate, of anyone, renders as ever.
    assert [type(r) for r in pool.render("a", TEMPLATES, documents)] == [bytes] * len(documents)


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_the_workers_take_turns_between_issuers(documents: list[Document], pool: RenderPool) -> None:
    """One worker; issuer A queues 40 certificates, then B one: B's comes back after one or two of A's."""
    pool.render("warm", TEMPLATES, documents[:1])
    a_done: list[int] = [0]
    a_ready = threading.Event()

    def a_progress(done: int) -> None:
        a_done[0] = done
        a_ready.set()

    a = threading.Thread(target=pool.render, args=("A", TEMPLATES, documents * 10, a_progress), daemon=True)
    a.start()
    assert a_ready.wait(60)
    b = pool.render("B", TEMPLATES, documents[:1])
    assert isinstance(b[0], bytes)
    assert a_done[0] <= 3, a_done  # A had done one or two when B's came back, not forty
    a.join(120)
    assert a_done[0] == 40


def test_a_caller_that_gives_up_takes_its_queued_certificates_with_it(
    documents: list[Document], pool: RenderPool
) -> None:
    class Stop(Exception):
        pass

    def stop(done: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        pool.render("A", TEMPLATES, documents * 10, stop)
    assert "A" not in pool._queues  # the 39 given up left the queue with their caller, none waits to be drawn
    started = time.monotonic()
    assert isinstance(pool.render("B", TEMPLATES, documents[:1])[0], bytes)
    # Behind only what the workers had begun (two at most): far from the 39 (a loaded machine's wide bound).
    assert time.monotonic() - started < 30


def test_a_worker_is_renewed_after_its_share(
    documents: list[Document], pool: RenderPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What libraries keep from each page never piles up: a fresh worker takes over after RENEW_AFTER."""
    monkeypatch.setattr(renderpool, "RENEW_AFTER", 10)
    pool.render("A", TEMPLATES, documents[:1])
    first = pool.pids()
    made = pool.render("A", TEMPLATES, (documents * 3)[:11])
    assert all(isinstance(pdf, bytes) for pdf in made)
    assert pool.pids() and pool.pids() != first


def test_refusals_come_back_as_errors_of_their_item(tmp_path: Path, documents: list[Document]) -> None:
    """A certificate that does not fit its page is that item's RenderError; the others render."""
    pool = RenderPool(2, idle_seconds=30)
    try:
        long = dataclasses.replace(documents[0], record={**documents[0].record, "products": [
            {**documents[0].record["products"][0], "name_en": "Long " * 40} for _ in range(12)
        ]})  # fmt: skip
        made = pool.render("A", TEMPLATES, [documents[0], long, documents[1]])
        assert isinstance(made[0], bytes) and isinstance(made[2], bytes)
        assert isinstance(made[1], VerifierError) and "one page" in str(made[1])
    finally:
        pool.close()
