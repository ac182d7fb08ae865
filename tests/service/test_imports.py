"""Imports of existing certificates through the API: the dry run and its annotated spreadsheet, the import as
jobs keeping original numbers, dates and statuses, an import run twice changing nothing, hostile files refused."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest

from tests.helpers import DEMO, Service
from tests.helpers.catalogue import COLUMNS, MAPPING, csv_bytes, rows, xlsx
from tests.helpers.service import audit_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _check(service: Service, issuer: dict[str, str], data: bytes, name: str = "catalogue.xlsx",
           mapping: dict[str, Any] | None = None) -> Any:  # fmt: skip
    return service.client.post("/api/v1/imports", headers=issuer, files={"file": (name, data, XLSX)},
                               data={"mapping": json.dumps(mapping or MAPPING, ensure_ascii=False)})  # fmt: skip


def _finish(service: Service, issuer: dict[str, str], import_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        found = service.client.get(f"/api/v1/imports/{import_id}", headers=issuer).json()
        if found["state"] != "running" or time.monotonic() > deadline:
            return dict(found)
        time.sleep(0.1)


def _today(service: Service) -> date:
    return service.clock().date()


def test_a_dry_run_names_each_bad_cell_and_the_annotated_copy_marks_it(service: Service) -> None:
    issuer = service.issuer()
    table = rows(40, _today(service))
    table[4][4] = "91330100MA27XK3L0B"  # a wrong check character
    table[9][16] = "2019-01-01"  # ends before it starts
    table[19][18] = "吊销"  # not a status this mapping knows
    answer = _check(service, issuer, xlsx(table))
    assert answer.status_code == 201, answer.text
    found = answer.json()
    assert found["state"] == "checked" and found["summary"]["rows"] == 40 and found["summary"]["with_problems"] == 3
    cells = {p["cell"]: p for p in found["problems"]}
    assert set(cells) == {"E6", "Q11", "S21"}
    assert "check character" in cells["E6"]["message"] and cells["E6"]["column"] == "统一社会信用代码"
    assert "must not be before valid_from" in cells["Q11"]["message"]
    assert "is not a status" in cells["S21"]["message"]
    refused = service.client.post(f"/api/v1/imports/{found['id']}/start", headers=issuer)
    assert refused.status_code == 409 and "3 rows have problems" in refused.text
    copy = service.client.get(found["annotated_url"].split("example", 1)[1], headers=issuer)
    assert copy.status_code == 200 and copy.headers["content-type"] == XLSX
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(copy.content)).active
    assert sheet["E6"].fill.fgColor.rgb.endswith("FFC7CE") and "check character" in sheet["E6"].comment.text
    assert sheet.cell(1, len(COLUMNS) + 1).value == "问题 / Problems"
    assert "统一社会信用代码" in sheet.cell(6, len(COLUMNS) + 1).value and sheet.cell(5, len(COLUMNS) + 1).value is None
    assert audit_rows(service, "certificate.%") == []  # a dry run issues nothing


def test_an_import_keeps_numbers_dates_and_statuses_and_a_second_run_changes_nothing(service: Service) -> None:
    issuer = service.issuer()
    today = _today(service)
    table = rows(60, today)
    expired = next(r for r in table if r[18] == "过期")
    suspended = next(r for r in table if r[18] == "暂停")
    withdrawn = next(r for r in table if r[18] == "注销")
    found = _check(service, issuer, xlsx(table)).json()
    assert found["summary"]["ready"] == 60 and found["problems"] == []
    started = service.client.post(f"/api/v1/imports/{found['id']}/start", headers=issuer)
    assert started.status_code == 202, started.text
    done = _finish(service, issuer, found["id"])
    assert (done["state"], done["done"], done["total"]) == ("succeeded", 60, 60)

    def by_number(number: str) -> dict[str, Any]:
        page = service.client.get("/api/v1/certificates", params={"number": number}, headers=issuer).json()
        (certificate,) = page["certificates"]
        return dict(certificate)

    assert by_number(suspended[0])["status"] == "suspended"
    assert by_number(withdrawn[0])["status"] == "revoked"
    old = by_number(expired[0])
    assert old["status"] == "active" and old["validity"] == "expired"
    scanned = service.client.get(old["verify_url"].split("example", 1)[1], headers={"Accept": "application/json"})
    assert scanned.json()["verdict"] == "expired"
    (entry,) = [r for r in audit_rows(service, "certificate.import") if r["target"] == f"certificate:{old['id']}"]
    assert entry["detail"]["issued_on"] == old["certificate"]["valid_from"] and entry["detail"]["status"] == "expired"
    again = _check(service, issuer, xlsx(table)).json()
    assert again["summary"]["ready"] == 0 and again["summary"]["existing"] == 60
    rerun = service.client.post(f"/api/v1/imports/{again['id']}/start", headers=issuer)
    assert rerun.status_code == 202 and rerun.json()["state"] == "succeeded" and rerun.json()["total"] == 0
    listed = service.client.get("/api/v1/certificates", params={"limit": 200}, headers=issuer).json()
    assert len(listed["certificates"]) == 60


def test_a_gb18030_csv_and_a_saved_mapping(service: Service) -> None:
    issuer = service.issuer()
    saved = service.client.put("/api/v1/import-mappings/old-system", headers=issuer, json=MAPPING)
    assert saved.status_code == 200
    data = csv_bytes(rows(5, _today(service)), "gb18030")
    answer = service.client.post("/api/v1/imports", headers=issuer, files={"file": ("旧系统.csv", data, "text/csv")},
                                 data={"mapping_name": "old-system"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert answer.json()["summary"]["ready"] == 5
    assert "old-system" in service.client.get("/api/v1/import-mappings", headers=issuer).json()


@pytest.mark.parametrize(
    ("mapping", "words"),
    [
        ({"columns": {"证书编号": "holder.nmae"}}, "'holder.nmae', which is not a field"),
        ({"columns": {"没有这列": "number"}}, "column '没有这列', which the file does not have"),
        ({"columns": {"证书编号": "number", "证书类别": "number"}}, "two columns map to number"),
        ({"columns": {}}, "columns maps 1 to 200"),
        ({"columns": {"证书编号": "number"}, "extra": 1}, "not extra"),
    ],
)
def test_a_mapping_that_cannot_be_used_is_refused_in_words(
    service: Service, mapping: dict[str, Any], words: str
) -> None:
    issuer = service.issuer()
    answer = _check(service, issuer, xlsx(rows(2, _today(service))), mapping=mapping)
    assert answer.status_code == 422 and words in answer.json()["message"], answer.text


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (300 * 1024 * 1024) + b">")
    return out.getvalue()


def test_hostile_spreadsheets_are_refused_whole_or_at_their_row(service: Service) -> None:
    issuer = service.issuer()
    today = _today(service)
    bomb = _check(service, issuer, _bomb())
    assert bomb.status_code == 413 and "zip bomb" in bomb.json()["message"]
    wide = _check(service, issuer, xlsx([["x"] * 1000], header=[f"c{n}" for n in range(1000)]))
    assert wide.status_code == 413 and "at most 200 are read" in wide.json()["message"]
    latin = _check(service, issuer, "证书编号\n".encode("gb18030") + b"\xff\xfe\xfd\x80\n", "old.csv")
    assert latin.status_code == 422 and "neither UTF-8 nor GB18030" in latin.json()["message"]
    legacy = _check(service, issuer, b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old.xls")
    assert legacy.status_code == 415 and "save the spreadsheet as .xlsx" in legacy.json()["message"]
    big = _check(service, issuer, b"x" * (21 * 1024 * 1024), "big.csv")
    assert big.status_code == 413
    long_row = rows(3, today)
    long_row[1][2] = "恒" * 40_000
    answer = _check(service, issuer, xlsx(long_row))
    assert answer.status_code == 201
    (problem,) = [p for p in answer.json()["problems"] if p["row"] == 3 and p["field"] is None]
    assert "more than 32,000 characters" in problem["message"]
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for cells in rows(3, today):
        sheet.append(cells)
    sheet["C3"] = "=A2&B2"
    sheet.merge_cells("D4:E4")
    out = io.BytesIO()
    book.save(out)
    answer = _check(service, issuer, out.getvalue())
    messages = {p["cell"]: p["message"] for p in answer.json()["problems"]}
    assert "a formula" in messages["C3"] and "merged cells (D4:E4)" in messages["D4"]
    assert answer.json()["summary"]["ready"] == 1
    nothing = service.client.get("/api/v1/certificates", headers=issuer).json()
    assert nothing["certificates"] == []  # nothing half imported


def test_an_expired_row_must_say_so_truthfully(service: Service) -> None:
    issuer = service.issuer()
    table = rows(3, _today(service))
    table[0][16] = (_today(service) + timedelta(days=400)).isoformat()
    table[0][18] = "过期"
    problems = _check(service, issuer, xlsx(table)).json()["problems"]
    assert any("says expired, but" in p["message"] for p in problems)


def test_a_batch_of_new_certificates_from_a_file_named_by_our_fields(service: Service) -> None:
    issuer = service.issuer()
    kettle = DEMO["zhejiang-made-kettle"]
    header = ["scheme", "holder.name", "holder.name_en", "holder.credit_code", "holder.address", "holder.address_en",
              "products.0.name", "products.0.name_en", "products.0.models", "products.0.hs_code", "standards.0.code",
              "standards.0.title", "standards.0.title_en", "valid_from", "valid_until", "markets"]  # fmt: skip
    holder, product, standard = kettle["holder"], kettle["products"][0], kettle["standards"][0]
    today = _today(service)
    line = ["zhejiang-made", holder["name"], holder["name_en"], holder["credit_code"], holder["address"],
            holder["address_en"], product["name"], product["name_en"], "HD-1701, HD-1702", product["hs_code"],
            standard["code"], standard["title"], standard["title_en"], today.isoformat(),
            (today + timedelta(days=700)).isoformat(), "DE FR"]  # fmt: skip
    ended = [*line[:13], "2020-01-01", "2021-01-01", "DE"]
    data = csv_bytes([line, line, ended], header=header)
    answer = service.client.post("/api/v1/imports", headers=issuer, data={"new": "true"},
                                 files={"file": ("batch.csv", data, "text/csv")})  # fmt: skip
    found = answer.json()
    assert answer.status_code == 201 and found["summary"]["ready"] == 2 and found["summary"]["new"] is True
    (problem,) = found["problems"]
    assert problem["cell"] == "O4" and "a new certificate must be in force" in problem["message"]
    fixed = csv_bytes([line, line], header=header)
    checked = service.client.post("/api/v1/imports", headers=issuer, data={"new": "true"},
                                  files={"file": ("batch.csv", fixed, "text/csv")}).json()  # fmt: skip
    assert service.client.post(f"/api/v1/imports/{checked['id']}/start", headers=issuer).status_code == 202
    assert _finish(service, issuer, checked["id"])["state"] == "succeeded"
    made = service.client.get("/api/v1/certificates", headers=issuer).json()["certificates"]
    assert len(made) == 2 and all(c["number"].startswith("ZJM-ZJCERT-") for c in made)
    assert audit_rows(service, "certificate.import") == []  # issued, not imported
    no_mapping = service.client.post("/api/v1/imports", headers=issuer,
                                     files={"file": ("old.xlsx", xlsx(rows(2, today)), XLSX)})  # fmt: skip
    assert no_mapping.status_code == 422 and "give a mapping" in no_mapping.json()["message"]
