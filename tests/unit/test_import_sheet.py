"""Spreadsheets read as text within their limits, and rows turned into certificates by a mapping (no service)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from verifier.imports import sheet
from verifier.imports.mapping import Mapping, MappingRefused, iso_date, row_to_record
from verifier.imports.sheet import SheetRefused, column_letters, kind_of, read


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for cells in rows:
        book.active.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_csv_in_utf8_with_its_bom_and_in_gb18030_read_alike() -> None:
    text = "\n\n证书编号;企业名称\nZJM-1;恒达电器\n;\n"
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gb18030")):
        table = read("csv", data)
        assert table.header == ["证书编号", "企业名称"] and table.rows == [(4, ["ZJM-1", "恒达电器"])]


def test_xlsx_values_are_read_as_a_clerk_sees_them() -> None:
    table = read(
        "xlsx", _xlsx([["n", "day", "count", "hs", "flag"], ["A", datetime(2027, 3, 25), 12.0, 8516.79, True]])
    )
    assert table.rows == [(2, ["A", "2027-03-25", "12", "8516.79", "TRUE"])]


def test_the_limits_are_said_at_their_place() -> None:
    with pytest.raises(SheetRefused, match="at most 200 are read"):
        read("csv", (",".join(f"c{n}" for n in range(201)) + "\n").encode())
    long_row = read("csv", ("a,b\n" + "x," + "y" * 40_000 + "\n").encode())
    assert [(p.row, p.column) for p in long_row.problems] == [(2, None)]
    megabyte = read("csv", ("a,b\n" + "x," + "y" * 1_000_000 + "\nz,w\n").encode())
    assert [(p.row, p.column) for p in megabyte.problems] == [(2, None)] and megabyte.rows[1] == (3, ["z", "w"])
    long_cell = read("csv", ("a,b\n" + "x," + "y" * 5_000 + "\n").encode())
    assert [(p.row, p.column) for p in long_cell.problems] == [(2, 2)]
    with pytest.raises(SheetRefused, match="neither UTF-8 nor GB18030"):
        read("csv", b"a,b\n\xff\xfe,1\n")
    with pytest.raises(SheetRefused, match="no header row"):
        read("csv", b"\n\n")


def test_the_text_of_a_whole_file_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheet, "MAX_TEXT", 1_000)
    with pytest.raises(SheetRefused, match="more than 1,000 characters of text"):
        read("csv", ("a,b\n" + "x,yyyyyyyyy\n" * 200).encode())


def test_an_old_excel_file_is_named_and_refused() -> None:
    with pytest.raises(SheetRefused, match=r"save the spreadsheet as \.xlsx"):
        kind_of("old.xls", b"\xd0\xcf\x11\xe0rest")
    assert kind_of("x.csv", b"PK\x03\x04") == "xlsx" and kind_of("x.xlsx", b"a,b") == "csv"


def test_columns_are_lettered_as_spreadsheets_letter_them() -> None:
    assert [column_letters(n) for n in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]


def test_dates_in_the_ways_spreadsheets_write_them() -> None:
    for text in ("2024-03-26", "2024/3/26", "2024.3.26", "2024年3月26日", "2024-03-26 00:00:00"):
        assert iso_date(text) == "2024-03-26", text
    assert iso_date("2024-02-30") == "2024-02-30" and iso_date("soon") == "soon"  # left for the model to refuse


def test_a_row_becomes_a_certificate_by_its_mapping() -> None:
    mapping = Mapping.parse({
        "columns": {"编号": "number", "市场": "markets", "型号": "products.0.models", "型号2": "products.1.models",
                    "状态": "status", "数量": "exemption.quantity"},
        "values": {"markets": {"德国": "DE"}, "status": {"作废": "revoked"}},
        "defaults": {"scheme": "ccc-exemption"},
    })  # fmt: skip
    record, extra = row_to_record(mapping, ["编号", "市场", "型号", "型号2", "状态", "数量"],
                                  ["ZJM-1", "德国，fr 、GB", "HD 1701, HD-2;HD-3", "X-1", "作废", "24"])  # fmt: skip
    assert record["markets"] == ["DE", "FR", "GB"] and record["scheme"] == "ccc-exemption"
    assert record["products"] == [{"models": ["HD 1701", "HD-2", "HD-3"]}, {"models": ["X-1"]}]
    assert record["exemption"] == {"quantity": 24} and extra == {"status": "revoked"}
    assert Mapping.parse({"columns": {"状态": "status"}}).word("status", "暂停") == "suspended"  # CNCA's words, known


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "a JSON object"),
        ({"columns": {"a": "products.10.name"}}, "is not a field"),
        ({"columns": {"a": "number"}, "values": {"nope": {}}}, "values names 'nope'"),
        ({"columns": {"a": "number"}, "values": {"markets": {"德国": 1}}}, "maps text to text"),
        ({"columns": {"a": "number"}, "defaults": {"holder.nam": "x"}}, "defaults names 'holder.nam'"),
    ],
)
def test_a_mapping_is_refused_saying_why(data: object, words: str) -> None:
    with pytest.raises(MappingRefused, match=words):
        Mapping.parse(data)
