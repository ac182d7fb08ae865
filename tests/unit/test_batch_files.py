"""The files ``verifier issue-batch`` reads: JSON, and CSV as spreadsheets write it (UTF-8 or Chinese Excel's
GB18030); every problem named by its spreadsheet row and column, once; a large file never held whole."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from pathlib import Path

import pytest

from tests.helpers import DEMO
from verifier.cli import main
from verifier.cli.batches import _parts, _where
from verifier.cli.batchfiles import Item, column_letter, read_batch
from verifier.cli.common import UsageError

KETTLE = DEMO["zhejiang-made-kettle"]
HEADER = ["scheme", "holder.name", "holder.name_en", "holder.credit_code", "products.0.name", "products.0.models.0"]


def rows(count: int) -> list[list[str]]:
    holder = KETTLE["holder"]
    return [HEADER] + [
        ["zhejiang-made", holder["name"], holder["name_en"], holder["credit_code"], "电热水壶", f"HD-{i}"]
        for i in range(count)
    ]


def write(path: Path, table: list[list[str]], encoding: str) -> Path:
    text = io.StringIO()
    csv.writer(text).writerows(table)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_a_csv_as_excel_saves_it_is_read(encoding: str, tmp_path: Path) -> None:
    batch = read_batch(write(tmp_path / "batch.csv", rows(3), encoding))
    assert batch.total == 3
    assert batch.encoding == ("utf-8" if encoding.startswith("utf") else "GB18030")
    items = list(batch.items)
    assert [item.row for item in items] == [2, 3, 4]
    assert items[0].certificate["holder"]["name"] == KETTLE["holder"]["name"]
    assert items[2].certificate["products"] == [{"name": "电热水壶", "models": ["HD-2"]}]


def test_a_csv_in_another_encoding_is_refused_with_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_bytes(b"scheme,holder.name\nzhejiang-made,\x80\xff\xfe\n")
    with pytest.raises(UsageError, match="CSV UTF-8"):
        read_batch(path)


def test_errors_name_the_row_and_the_column_once(tmp_path: Path) -> None:
    table = rows(3)
    table[2][5] = ""
    table[2].append("extra")
    with pytest.raises(UsageError, match=r"^CSV row 3: 7 cells for 6 columns$"):
        read_batch(write(tmp_path / "a.csv", table, "utf-8"))
    table = [[*HEADER, "products.2.name"], *[[*r, ""] for r in rows(2)[1:]]]
    table[2][-1] = "a gap"
    batch = read_batch(write(tmp_path / "b.csv", table, "utf-8"))
    with pytest.raises(UsageError, match=r"^CSV row 3, column G: list positions must count up from 0"):
        list(batch.items)
    part = [Item({}, 1, 2), Item({}, 2, 3)]
    assert _where("certificates.1.holder.credit_code", part, HEADER) == "row 3, column D (holder.credit_code)"
    assert _where("certificates.0.holder.address", part, HEADER) == "row 2 (holder.address)"
    assert _where("certificates.1", [Item({}, 7), Item({}, 8)], None) == "certificate 8"
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_a_huge_cell_is_a_usage_error_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = rows(2)
    table[2][1] = "x" * 200_000
    path = write(tmp_path / "huge.csv", table, "utf-8")
    assert main(["issue-batch", str(path), "--token", "t", "--url", "http://127.0.0.1:9", "--quiet"]) == 2
    assert "CSV row 3: a cell is longer than 131,072 characters" in capsys.readouterr().err


def test_a_large_csv_is_never_held_whole(tmp_path: Path) -> None:
    """A 2 MB CSV of 200,000 short rows: reading it and making the first job costs a few MB (all its rows
    as certificates at once took 91 MB)."""
    path = tmp_path / "large.csv"
    path.write_text("number,holder.name\n" + "".join(f"N{i},x\n" for i in range(200_000)))
    assert path.stat().st_size > 1_800_000
    tracemalloc.start()
    try:
        batch = read_batch(path)
        first = next(iter(_parts(batch.items)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert batch.total == 200_000 and len(first) == 1000
    assert peak < 30 * 2**20, f"{peak / 2**20:.0f} MB"


def test_json_files_too(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"certificates": [KETTLE, KETTLE]}, ensure_ascii=False), "utf-8")
    batch = read_batch(path)
    assert batch.total == 2 and [item.place for item in batch.items] == [1, 2]
    path.write_bytes("[]".encode("utf-16"))
    with pytest.raises(UsageError, match="not UTF-8"):
        read_batch(path)
