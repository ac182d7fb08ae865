"""The console in process: signing in (invitations, cookies, lockout), form tokens, roles, search, status changes."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import DEMO, Service
from tests.helpers.service import audit_rows
from verifier.store.users import LOCK_AFTER, UserRole

PASSWORD = "correct horse battery staple"
_FORM = re.compile(r'name="form" value="([^"]*)"')


def form_token(html: str) -> str:
    found = _FORM.search(html)
    assert found, html[:500]
    return found.group(1)


def person(service: Service, role: UserRole, email: str, issuer: str | None = "zjcert") -> TestClient:
    """A browser (over https: the cookies are Secure) of a person invited, with a password chosen, signed in."""
    app = service.client.app
    registry = app.state.services.registry
    _, invitation = registry.users.invite("admin", issuer, email, email.split("@")[0], role, service.clock())
    browser = TestClient(app, base_url="https://testserver", follow_redirects=False)
    welcome = browser.get("/console/welcome")
    accepted = browser.post("/console/welcome", data={"invitation": invitation, "password": PASSWORD,
                                                     "again": PASSWORD, "form": form_token(welcome.text)})  # fmt: skip
    assert accepted.status_code == 200, accepted.text
    sign_in(browser, email)
    return browser


def sign_in(browser: TestClient, email: str, password: str = PASSWORD, back: str = "") -> Any:
    page = browser.get("/console/sign-in")
    return browser.post("/console/sign-in", data={"email": email, "password": password, "back": back,
                                                  "form": form_token(page.text)})  # fmt: skip


Desk = tuple[Service, dict[str, str]]


@pytest.fixture
def desk(service: Service) -> Desk:
    """The service with an issuer registered (its token's headers)."""
    return service, service.issuer()


def _issue(service: Service, issuer: dict[str, str], name: str, number: str) -> dict[str, object]:
    made = service.client.post("/api/v1/certificates", json=dict(DEMO[name], number=number), headers=issuer)
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_a_clerk_signs_in_with_a_strict_http_only_cookie_and_lands_on_the_certificates(desk: Desk) -> None:
    service, issuer = desk
    _issue(service, issuer, "zhejiang-made-kettle", "ZJM-2026-0001")
    registry = service.client.app.state.services.registry
    at = service.clock()
    _, invitation = registry.users.invite("admin", "zjcert", "clerk@zjcert.cn", "Clerk", UserRole.CLERK, at)
    browser = TestClient(service.client.app, base_url="https://testserver", follow_redirects=False)
    welcome = browser.get("/console/welcome")
    form_cookie = welcome.headers["set-cookie"]
    assert form_cookie.startswith("__Host-console-form=") and "samesite=strict" in form_cookie.lower()
    browser.post("/console/welcome", data={"invitation": invitation, "password": PASSWORD, "again": PASSWORD,
                                           "form": form_token(welcome.text)})  # fmt: skip
    signed = sign_in(browser, "clerk@zjcert.cn", back="/console/certificates?q=hengda")
    assert signed.status_code == 303 and signed.headers["location"] == "/console/certificates?q=hengda"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("__Host-console-session=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=strict" in cookie.lower() and "Path=/" in cookie
    listed = browser.get("/console/certificates?q=hengda")
    assert listed.status_code == 200 and "ZJM-2026-0001" in listed.text
    assert "default-src 'none'" in listed.headers["content-security-policy"]
    assert browser.get("/console").headers["location"] == "/console/certificates"


def test_sign_in_goes_back_only_to_the_console(desk: Desk) -> None:
    service, _ = desk
    browser = person(service, UserRole.CLERK, "clerk@zjcert.cn")
    browser.post("/console/sign-out", data={"form": form_token(browser.get("/console/certificates").text)})
    elsewheres = ("https://evil.example/", "//evil.example/console", "/console/../api/v1/issuers", "/api/v1",
                  "/console/%2e%2e/api", "/console/x/..")  # fmt: skip
    for elsewhere in elsewheres:
        answer = sign_in(browser, "clerk@zjcert.cn", back=elsewhere)
        assert answer.headers["location"] == "/console/certificates", elsewhere


def test_a_wrong_password_and_an_unknown_address_are_refused_alike(desk: Desk) -> None:
    service, _ = desk
    person(service, UserRole.CLERK, "clerk@zjcert.cn")
    stranger = TestClient(service.client.app, base_url="https://testserver", follow_redirects=False)
    wrong = sign_in(stranger, "clerk@zjcert.cn", "not the password at all")
    unknown = sign_in(stranger, "nobody@zjcert.cn", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "wrong, or the account is locked" in wrong.text and "wrong, or the account is locked" in unknown.text
    assert "console-session" not in wrong.headers.get("set-cookie", "")


def test_twenty_wrong_passwords_lock_the_account_and_say_so_in_the_audit_log(desk: Desk) -> None:
    service, _ = desk
    person(service, UserRole.CLERK, "clerk@zjcert.cn")
    stranger = TestClient(service.client.app, base_url="https://testserver", follow_redirects=False)
    for _ in range(LOCK_AFTER):
        assert sign_in(stranger, "clerk@zjcert.cn", "a wrong password!").status_code == 401
    assert sign_in(stranger, "clerk@zjcert.cn").status_code == 401  # the right one, locked
    (locked,) = audit_rows(service, "user.locked")
    assert locked["detail"]["after"] == LOCK_AFTER
    assert len(audit_rows(service, "user.sign_in_refused")) == LOCK_AFTER + 1
    service.clock.now += timedelta(minutes=16)
    assert sign_in(stranger, "clerk@zjcert.cn").status_code == 303


def test_a_form_without_its_token_is_refused(desk: Desk) -> None:
    service, issuer = desk
    made = _issue(service, issuer, "zhejiang-made-kettle", "ZJM-2026-0001")
    browser = person(service, UserRole.CLERK, "clerk@zjcert.cn")
    change = {"action": "suspend", "reason": "investigation", "confirm": "yes"}
    path = f"/console/certificates/{made['id']}/status"
    assert browser.post(path, data=change).status_code == 403
    assert browser.post(path, data={**change, "form": "x" * 43}).status_code == 403
    token = form_token(browser.get(f"/console/certificates/{made['id']}").text)
    cross = browser.post(path, data={**change, "form": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and "did not come from this console" in cross.text
    assert service.client.get(f"/api/v1/certificates/{made['id']}", headers=issuer).json()["status"] == "active"
    done = browser.post(path, data={**change, "form": token})
    assert done.status_code == 303
    assert service.client.get(f"/api/v1/certificates/{made['id']}", headers=issuer).json()["status"] == "suspended"
    stranger = TestClient(service.client.app, base_url="https://testserver", follow_redirects=False)
    assert stranger.post("/console/sign-in", data={"email": "clerk@zjcert.cn", "password": PASSWORD}).status_code == 403


def test_a_session_cookie_from_before_sign_out_no_longer_works(desk: Desk) -> None:
    service, _ = desk
    browser = person(service, UserRole.CLERK, "clerk@zjcert.cn")
    kept = dict(browser.cookies)
    out = browser.post("/console/sign-out", data={"form": form_token(browser.get("/console/certificates").text)})
    assert out.status_code == 303 and 'console-session=""' in out.headers["set-cookie"]
    replay = TestClient(service.client.app, base_url="https://testserver", follow_redirects=False, cookies=kept)
    answer = replay.get("/console/certificates")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/sign-in?next=")


def test_an_auditor_reads_and_changes_nothing(desk: Desk) -> None:
    service, issuer = desk
    made = _issue(service, issuer, "zhejiang-made-kettle", "ZJM-2026-0001")
    auditor = person(service, UserRole.AUDITOR, "audit@zjcert.cn")
    page = auditor.get(f"/console/certificates/{made['id']}")
    assert page.status_code == 200 and "ZJM-2026-0001" in page.text and '/status"' not in page.text
    token = form_token(page.text)
    change = {"action": "suspend", "reason": "investigation", "confirm": "yes", "form": token}
    assert auditor.post(f"/console/certificates/{made['id']}/status", data=change).status_code == 403
    assert auditor.post("/console/status", data={**change, "numbers": "ZJM-2026-0001"}).status_code == 403
    assert auditor.get("/console/status").status_code == 403
    assert auditor.get("/console/people").status_code == 403
    assert service.client.get(f"/api/v1/certificates/{made['id']}", headers=issuer).json()["status"] == "active"


def test_a_clerk_cannot_manage_people_and_an_admin_invites_and_disables(desk: Desk) -> None:
    service, _ = desk
    clerk = person(service, UserRole.CLERK, "clerk@zjcert.cn")
    assert clerk.get("/console/people").status_code == 403
    token = form_token(clerk.get("/console/certificates").text)
    invite = {"email": "new@zjcert.cn", "name": "New", "role": "admin", "form": token}
    assert clerk.post("/console/people", data=invite).status_code == 403
    admin = person(service, UserRole.ADMIN, "admin@zjcert.cn")
    page = admin.get("/console/people")
    invited = admin.post("/console/people", data={**invite, "form": form_token(page.text)})
    assert invited.status_code == 201 and "https://verify.zhejiang-made.example/console/welcome#" in invited.text
    operator = admin.post("/console/people", data={**invite, "email": "op@zjcert.cn", "role": "operator",
                                                     "form": form_token(page.text)})  # fmt: skip
    assert operator.status_code == 422  # an issuer's admin cannot make operator's staff
    clerk_id = re.search(r'/console/people/(u[0-9a-f]+)/disable"[^>]*data-confirm="[^"]*clerk@', invited.text)
    assert clerk_id, invited.text
    disabled = admin.post(f"/console/people/{clerk_id.group(1)}/disable", data={"form": form_token(page.text)})
    assert disabled.status_code == 303
    assert clerk.get("/console/certificates").status_code == 303  # signed out at once


def test_search_finds_by_number_holder_credit_code_hs_code_market_status_and_validity(desk: Desk) -> None:
    service, issuer = desk
    _issue(service, issuer, "zhejiang-made-kettle", "ZJM-2026-0001")
    valve = _issue(service, issuer, "international-cooperation-valve", "IC-2026-0002")
    browser = person(service, UserRole.AUDITOR, "audit@zjcert.cn")
    service.client.post(f"/api/v1/certificates/{valve['id']}/suspend", json={"reason": "investigation"}, headers=issuer)

    def found(query: str) -> set[str]:
        page = browser.get(f"/console/certificates?{query}")
        assert page.status_code == 200
        return set(re.findall(r"(ZJM-2026-0001|IC-2026-0002)</bdi></a>", page.text))

    holder = DEMO["zhejiang-made-kettle"]["holder"]
    assert found("q=zjm-2026") == {"ZJM-2026-0001"}
    assert found(f"q={holder['name'][2:4]}") == {"ZJM-2026-0001"}
    assert found("q=HENGDA") == {"ZJM-2026-0001"}
    assert found(f"q={holder['credit_code'][:8]}") >= {"ZJM-2026-0001"}
    assert found("hs=8516") == {"ZJM-2026-0001"}
    both = "DE" in DEMO["international-cooperation-valve"]["markets"]
    assert found("market=de") == ({"ZJM-2026-0001", "IC-2026-0002"} if both else {"ZJM-2026-0001"})
    assert found("status=suspended") == {"IC-2026-0002"}
    assert found("status=active&scheme=zhejiang-made") == {"ZJM-2026-0001"}
    assert found("validity=expired") == set()
    assert found("q=%25") == set() and found("q=_") == set()  # LIKE's wildcards are letters here
    assert found("status=bogus&validity=nope&cursor=abc") == {"ZJM-2026-0001", "IC-2026-0002"}


def test_paging_runs_through_every_certificate_once(desk: Desk) -> None:
    service, issuer = desk
    batch = [dict(DEMO["zhejiang-made-kettle"], number=f"ZJM-2026-{n:04d}") for n in range(1, 121)]
    made = service.client.post("/api/v1/certificates/batch", json={"certificates": batch}, headers=issuer)
    assert made.status_code == 201
    browser = person(service, UserRole.AUDITOR, "audit@zjcert.cn")
    seen: list[str] = []
    url = "/console/certificates"
    while url:
        page = browser.get(url)
        assert "120 found" in page.text
        seen += re.findall(r"(ZJM-2026-\d{4})</bdi></a>", page.text)
        more = re.search(r'rel="next" href="([^"]+)"', page.text)
        url = "/console/certificates" + more.group(1).replace("&amp;", "&") if more else ""
    assert seen == [f"ZJM-2026-{n:04d}" for n in range(120, 0, -1)]


def test_a_pasted_list_is_checked_confirmed_then_changed(desk: Desk) -> None:
    service, issuer = desk
    made = [_issue(service, issuer, "zhejiang-made-kettle", f"ZJM-2026-{n:04d}") for n in (1, 2, 3)]
    service.client.post(f"/api/v1/certificates/{made[2]['id']}/revoke", json={"reason": "fraud"}, headers=issuer)
    clerk = person(service, UserRole.CLERK, "clerk@zjcert.cn")
    token = form_token(clerk.get("/console/status").text)
    pasted = "zjm-2026-0001\nZJM-2026-0002, ZJM-2026-0003；ZJM-2026-0404\nZJM-2026-0001"
    asked = {"numbers": pasted, "action": "suspend", "reason": "investigation", "form": token}
    check = clerk.post("/console/status", data=asked)
    assert check.status_code == 200 and "Will change (2)" in check.text and "(1)" in check.text
    assert "ZJM-2026-0404" in check.text
    assert service.client.get(f"/api/v1/certificates/{made[0]['id']}", headers=issuer).json()["status"] == "active"
    done = clerk.post("/console/status", data={**asked, "confirm": "yes"})
    assert "Changed: 2." in done.text
    states = [service.client.get(f"/api/v1/certificates/{m['id']}", headers=issuer).json()["status"] for m in made]
    assert states == ["suspended", "suspended", "revoked"]
    actors = {row["actor"] for row in audit_rows(service, "certificate.suspend")}
    assert len(actors) == 1 and next(iter(actors)).startswith("user:")


def test_a_certificate_page_has_its_fields_history_and_downloads(desk: Desk) -> None:
    service, issuer = desk
    made = _issue(service, issuer, "zhejiang-made-kettle", "ZJM-2026-0001")
    clerk = person(service, UserRole.CLERK, "clerk@zjcert.cn")
    page = clerk.get(f"/console/certificates/{made['id']}?lang=zh")
    assert "统一社会信用代码" in page.text and "91330100MA27XK3L0A" in page.text and "签发" in page.text
    png = clerk.get(f"/console/certificates/{made['id']}/qr.png")
    assert png.content.startswith(b"\x89PNG") and png.headers["content-disposition"].endswith('ZJM-2026-0001-qr.png"')
    assert clerk.get(f"/console/certificates/{made['id']}/qr.svg").content.startswith(b"<svg")
    assert clerk.get(f"/console/certificates/{made['id']}/qr.gif").status_code == 404
    assert clerk.get("/console/certificates/" + "x" * 41).status_code == 404
    other = service.issuer("other")
    theirs = _issue(service, other, "zhejiang-made-kettle", "ZJM-2026-0001")
    assert clerk.get(f"/console/certificates/{theirs['id']}").status_code == 404  # another issuer's: not found


def test_the_console_catalogues_have_the_same_messages_and_every_one_the_pages_ask_for() -> None:
    import json
    from pathlib import Path

    from verifier.api.i18n import LANGUAGES
    from verifier.console.web import CONSOLE

    keys = {lang: set(json.loads((CONSOLE / "locales" / f"{lang}.json").read_text("utf-8"))) for lang in LANGUAGES}
    assert all(found == keys["en"] for found in keys.values())
    asked = set()
    for template in Path(CONSOLE).glob("*.j2"):
        asked |= {k for k in re.findall(r'm\("([a-z_]+)"', template.read_text("utf-8")) if not k.endswith("_")}
    assert asked <= keys["en"], asked - keys["en"]


def test_an_admin_sets_the_letterhead_and_stamp_and_a_clerk_only_sees_them(desk: Desk) -> None:
    from verifier.demo import certificates as demo

    service, _ = desk
    admin = person(service, UserRole.ADMIN, "admin@zjcert.cn")
    token = form_token(admin.get("/console/letterhead").text)
    fields = {"address": "浙江省杭州市文三路90号", "contact": "+86 571 8765 4321", "signatory": "李伟", "form": token}
    assert admin.post("/console/letterhead", data=fields).status_code == 303
    refused = admin.post("/console/letterhead", data={**fields, "contact": "a\x07b"})
    assert refused.status_code == 422 and "contact" in refused.text
    stamp = (Path(demo.__file__).parent / "stamp.svg").read_bytes()
    uploaded = admin.post("/console/letterhead/stamp", data={"form": token},
                          files={"file": ("stamp.svg", stamp, "image/svg+xml")})  # fmt: skip
    assert uploaded.status_code == 303
    shown = admin.get("/console/letterhead").text
    assert "data:image/svg+xml;base64," in shown and "李伟" in shown
    letterhead = service.client.get("/api/v1/issuers/zjcert", headers=service.admin).json()
    assert (letterhead["contact"], letterhead["stamp"]["media_type"]) == ("+86 571 8765 4321", "image/svg+xml")
    clerk = person(service, UserRole.CLERK, "clerk@zjcert.cn")
    seen = clerk.get("/console/letterhead")
    assert seen.status_code == 200 and "李伟" in seen.text and 'action="/console/letterhead"' not in seen.text
    assert clerk.post("/console/letterhead", data={**fields, "form": form_token(seen.text)}).status_code == 403


def _form_of(certificate: dict[str, Any], token: str) -> dict[str, str]:
    """A certificate as the issue form posts it: each field under its path, lists joined by commas."""
    found = {"form": token, "scheme": certificate["scheme"]}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else key)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for place, inner in enumerate(value):
                walk(inner, f"{path}.{place}")
        elif isinstance(value, list):
            found[path] = ", ".join(value)
        else:
            found[path] = str(value)

    walk({k: v for k, v in certificate.items() if k != "scheme"}, "")
    return found


def test_a_clerk_issues_from_the_form_and_sees_the_api_field_errors_beside_the_inputs(desk: Desk) -> None:
    service, issuer = desk
    clerk = person(service, UserRole.CLERK, "clerk@zjcert.cn")
    page = clerk.get("/console/issue?scheme=zhejiang-made")
    assert page.status_code == 200 and 'name="products.2.hs_code"' in page.text and "exemption." not in page.text
    good = _form_of(dict(DEMO["zhejiang-made-kettle"], number="ZJM-2026-7001"), form_token(page.text))
    bad = {**good, "holder.credit_code": "91330100MA27XK3L0B", "holder.name_en": ""}
    refused = clerk.post("/console/issue", data=bad)
    assert refused.status_code == 422, refused.text
    why = re.findall(r'<span class="why">([^<]*)', refused.text)
    assert (
        why[0] == "required"
        and why[1].startswith("not a unified social credit code: check character")
        and len(why) == 2
    )
    assert "check character" in refused.text and "required" in refused.text
    assert 'value="ZJM-2026-7001"' in refused.text  # what was typed stays
    done = clerk.post("/console/issue", data=good)
    assert done.status_code == 303 and done.headers["location"].startswith("/console/certificates/")
    found = service.client.get("/api/v1/certificates", params={"number": "ZJM-2026-7001"}, headers=issuer).json()
    assert found["certificates"][0]["certificate"]["markets"] == DEMO["zhejiang-made-kettle"]["markets"]
    exemption = clerk.get("/console/issue?scheme=ccc-exemption").text
    assert 'name="exemption.purpose"' in exemption and "research-and-development" in exemption
    auditor = person(service, UserRole.AUDITOR, "audit@zjcert.cn")
    assert auditor.get("/console/issue").status_code == 403
    assert (
        auditor.post(
            "/console/issue", data={**good, "form": form_token(auditor.get("/console/certificates").text)}
        ).status_code
        == 403
    )


def test_a_preview_is_a_pdf_marked_as_no_certificate_and_issues_nothing(pdf_service: Service) -> None:
    import pypdfium2

    service = pdf_service
    issuer = service.issuer()
    clerk = person(service, UserRole.CLERK, "clerk@zjcert.cn")
    token = form_token(clerk.get("/console/issue").text)
    shown = clerk.post("/console/issue/preview", data=_form_of(DEMO["zhejiang-made-kettle"], token))
    assert shown.status_code == 200 and shown.headers["content-type"] == "application/pdf", shown.text[:500]
    text = pypdfium2.PdfDocument(shown.content)[0].get_textpage().get_text_range()
    assert "PREVIEW" in text and "NOT A CERTIFICATE" in text
    assert service.client.get("/api/v1/certificates", headers=issuer).json()["certificates"] == []
