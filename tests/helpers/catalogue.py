"""The scheme's existing certificates as an older system exports them: a spreadsheet of rows in Chinese columns.

Made from the reference certificates with variation (holders, products, HS codes, markets, validity,
statuses as CNCA words), as XLSX or CSV, with :data:`MAPPING` to read it. The bench's catalogue of
19,711 rows and the tests' smaller files come from here.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from tests.helpers import DEMO
from verifier.certificate.codes import credit_code_check_character

COLUMNS = ["证书编号", "证书类别", "企业名称", "企业英文名称", "统一社会信用代码", "企业地址",
           "企业英文地址", "产品名称", "产品英文名称", "型号规格", "HS编码", "标准编号", "标准名称",
           "标准英文名称", "发证日期", "有效期起", "有效期至", "出口市场", "证书状态", "免办用途", "数量",
           "单位", "申报金额", "币种", "入境口岸", "互认机构", "互认国家", "互认证书编号"]  # fmt: skip
SCHEMES = {"zhejiang-made": 6_129, "international-cooperation": 549, "ccc-exemption": 13_033}  # the scheme's 19,711
MAPPING: dict[str, Any] = {
    "columns": {"证书编号": "number", "证书类别": "scheme", "企业名称": "holder.name",
                "企业英文名称": "holder.name_en", "统一社会信用代码": "holder.credit_code",
                "企业地址": "holder.address", "企业英文地址": "holder.address_en", "产品名称": "products.0.name",
                "产品英文名称": "products.0.name_en", "型号规格": "products.0.models",
                "HS编码": "products.0.hs_code", "标准编号": "standards.0.code", "标准名称": "standards.0.title",
                "标准英文名称": "standards.0.title_en", "发证日期": "issued_on", "有效期起": "valid_from",
                "有效期至": "valid_until", "出口市场": "markets", "证书状态": "status",
                "免办用途": "exemption.purpose", "数量": "exemption.quantity", "单位": "exemption.unit",
                "申报金额": "exemption.declared_value.amount", "币种": "exemption.declared_value.currency",
                "入境口岸": "exemption.port_of_entry", "互认机构": "recognitions.0.body",
                "互认国家": "recognitions.0.country", "互认证书编号": "recognitions.0.certificate_number"},
    "values": {"scheme": {"浙江制造": "zhejiang-made", "自我声明": "ccc-self-declaration", "国际合作":
                          "international-cooperation", "免办": "ccc-exemption"},
               "exemption.purpose": {"科研测试": "research-and-development", "认证测试": "certification-testing",
                                     "展览": "exhibition", "售后维修": "after-sales-repair"},
               "exemption.unit": {"件": "pieces", "套": "sets", "台": "units"},
               "recognitions.0.country": {"德国": "DE", "瑞士": "CH", "法国": "FR"},
               "markets": {"德国": "DE", "法国": "FR", "英国": "GB", "日本": "JP", "美国": "US", "阿联酋": "AE",
                           "沙特": "SA", "俄罗斯": "RU", "西班牙": "ES", "意大利": "IT"}},
}  # fmt: skip
HOLDERS = [("浙江恒达电器有限公司", "Zhejiang Hengda Electric Appliance Co., Ltd."),
           ("宁波恒泰阀门制造有限公司", "Ningbo Hengtai Valve Manufacturing Co., Ltd."),
           ("杭州光明照明科技有限公司", "Hangzhou Guangming Lighting Technology Co., Ltd."),
           ("温州东方鞋业有限公司", "Wenzhou Dongfang Footwear Co., Ltd."),
           ("台州精工机械有限公司", "Taizhou Jinggong Machinery Co., Ltd.")]  # fmt: skip
HS = ["8516.79", "8481.80", "9405.11", "6403.99", "8509.40", "8414.51"]
MARKETS = ["德国，法国", "美国、英国、日本", "阿联酋;沙特", "俄罗斯", "西班牙 意大利", "德国"]


def row(n: int, today: date, scheme: str = "zhejiang-made") -> list[str]:
    """The ``n``-th certificate's row: most in force, some expired, suspended (暂停) or withdrawn (注销)."""
    kettle = DEMO["zhejiang-made-kettle"] if scheme == "zhejiang-made" else DEMO["ccc-exemption-samples"]
    if scheme == "international-cooperation":
        kettle = DEMO["international-cooperation-valve"]
    name, name_en = HOLDERS[n % len(HOLDERS)]
    first17 = f"91330{n % 100:02d}0MA{n:07d}"[:17]
    start = today - timedelta(days=30 + (n * 37) % 1400)
    until = start + timedelta(days=3 * 365 - 1)
    status = "有效" if until >= today else "过期"
    if n % 50 == 7:
        status = "暂停"
    elif n % 97 == 11:
        status = "注销"
    product = kettle["products"][0]
    standard = kettle["standards"][0]
    prefix, word = {"zhejiang-made": ("ZJM", "浙江制造"), "international-cooperation": ("ZJM-IC", "国际合作"),
                    "ccc-exemption": ("CCCE", "免办")}[scheme]  # fmt: skip
    return [f"{prefix}-{start.year}-{n:05d}", word, name, name_en, first17 + credit_code_check_character(first17),
            kettle["holder"]["address"], kettle["holder"]["address_en"], product["name"], product["name_en"],
            f"HD-{1700 + n % 50}、HD-{1700 + n % 50}S", HS[n % len(HS)], standard["code"], standard["title"],
            standard["title_en"], f"{start.year}年{start.month}月{start.day}日", start.isoformat(),
            until.strftime("%Y/%m/%d"), MARKETS[n % len(MARKETS)], status, *_extra(n, scheme)]  # fmt: skip


PURPOSES = ["科研测试", "认证测试", "展览", "售后维修"]


def _extra(n: int, scheme: str) -> list[str]:
    """The exemption's and the recognition's columns (empty for the schemes without them)."""
    if scheme == "ccc-exemption":
        return [PURPOSES[n % len(PURPOSES)], str(1 + n % 500), ["件", "套", "台"][n % 3], f"{1000 + n % 90000}.00",
                "CNY", ["CNNGB", "CNSHA", "CNHGH"][n % 3], "", "", ""]  # fmt: skip
    if scheme == "international-cooperation":
        return ["", "", "", "", "", "", "Example Prüf- und Zertifizierungs GmbH", "德国", f"EPZ-2024-{n:05d}"]
    return [""] * 9


def catalogue(today: date, schemes: dict[str, int] = SCHEMES) -> list[list[str]]:
    """The scheme's certificates, each scheme's share of them, their rows interleaved (as an export mixes them)."""
    made: list[tuple[int, list[str]]] = []
    number = 0
    for scheme, count in schemes.items():
        for k in range(count):
            number += 1
            made.append((k * 1_000_000 // count, row(number, today, scheme)))
    made.sort(key=lambda pair: pair[0])
    return [cells for _, cells in made]


def rows(count: int, today: date, first: int = 1) -> list[list[str]]:
    """``count`` rows from the ``first``."""
    return [row(n, today) for n in range(first, first + count)]


def xlsx(table: list[list[str]], header: list[str] = COLUMNS) -> bytes:
    """The rows as an XLSX (its cells text, as exported)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("证书")
    sheet.append(header)
    for cells in table:
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(table: list[list[str]], encoding: str = "utf-8", header: list[str] = COLUMNS) -> bytes:
    """The rows as CSV in ``encoding`` (gb18030 as older Chinese systems write it)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(table)
    return out.getvalue().encode(encoding)
