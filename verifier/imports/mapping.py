"""How a spreadsheet's columns and words become certificates: the column mapping and the value mapping.

A mapping is JSON a clerk saves once per kind of spreadsheet::

    {"columns": {"证书编号": "number", "企业名称": "holder.name", "产品型号": "products.0.models", ...},
     "values":  {"markets": {"德国": "DE", "法国": "FR"}, "status": {"有效": "in_force"}, ...},
     "defaults": {"scheme": "zhejiang-made"}}

``columns`` names, for each column of theirs, one of our fields (:func:`field_names`); ``values`` their
words for a field's values (a list field's words one by one); ``defaults`` a field's value for rows whose
cell is empty or that have no such column. Besides the certificate's own fields an import reads
``status`` (``in_force``, ``suspended``, ``withdrawn``, ``revoked``, ``expired``; CNCA's 有效 / 暂停 /
注销 / 撤销 and 过期 are known already), ``status_reason``, ``status_note`` and ``issued_on`` (the
original date of issue, kept beside the certificate).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from verifier.errors import VerifierError

# Our fields, as a mapping names them (a list's items by their place: products.0.name).
_FIELD = re.compile(
    r"number|scheme|valid_from|valid_until|markets|status|status_reason|status_note|issued_on"
    r"|holder\.(?:name|name_en|credit_code|address|address_en)|site\.(?:address|address_en)"
    r"|products\.[0-9]\.(?:name|name_en|models|hs_code)|standards\.[0-9]\.(?:code|title|title_en)"
    r"|exemption\.(?:purpose|quantity|unit|port_of_entry)|exemption\.declared_value\.(?:amount|currency)"
    r"|recognitions\.1?[0-9]\.(?:body|country|certificate_number)"
)
LISTS = ("markets", "models")  # fields whose cell holds several values
IMPORT_ONLY = ("status", "status_reason", "status_note", "issued_on")
DATES = ("valid_from", "valid_until", "issued_on")
STATUSES = ("in_force", "suspended", "withdrawn", "revoked", "expired")
KNOWN_STATUS_WORDS = {
    "有效": "in_force", "在有效期": "in_force", "正常": "in_force", "valid": "in_force", "active": "in_force",
    "in force": "in_force", "暂停": "suspended", "suspended": "suspended", "注销": "withdrawn",
    "withdrawn": "withdrawn", "cancelled": "withdrawn", "撤销": "revoked", "revoked": "revoked",
    "过期": "expired", "失效": "expired", "已过期": "expired", "expired": "expired",
}  # fmt: skip
_SPLIT = {"markets": re.compile(r"[\s,;，；、/|]+"), "models": re.compile(r"[,;，；、|\n]+")}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?")
MAX_COLUMNS = 200
MAX_WORDS = 5_000  # value-mapping entries in all


class MappingRefused(VerifierError):
    """A mapping this service cannot use (a field that does not exist, a column the file does not have)."""

    code = "mapping_refused"


def field_names() -> list[str]:
    """Every field a column can map to, lists by their first place (products.0.name; products.1.name also works)."""
    simple = ["number", "scheme", "valid_from", "valid_until", "markets", *IMPORT_ONLY]
    simple += [f"holder.{f}" for f in ("name", "name_en", "credit_code", "address", "address_en")]
    simple += [f"site.{f}" for f in ("address", "address_en")]
    simple += [f"products.0.{f}" for f in ("name", "name_en", "models", "hs_code")]
    simple += [f"standards.0.{f}" for f in ("code", "title", "title_en")]
    simple += [f"exemption.{f}" for f in ("purpose", "quantity", "unit", "port_of_entry")]
    simple += ["exemption.declared_value.amount", "exemption.declared_value.currency"]
    return simple + [f"recognitions.0.{f}" for f in ("body", "country", "certificate_number")]


@dataclass(frozen=True)
class Mapping:
    """A checked mapping: their column -> our field, our field -> (their word -> our value), defaults."""

    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: object) -> Mapping:
        """A mapping from its JSON; raises :class:`MappingRefused` saying what is wrong with it."""
        if not isinstance(data, MappingType):
            raise MappingRefused("a mapping is a JSON object with columns (and values, defaults)")
        unknown = sorted(set(data) - {"columns", "values", "defaults", "name"})
        if unknown:
            raise MappingRefused(f"a mapping has columns, values and defaults, not {', '.join(unknown)}")
        columns = _strings(data.get("columns"), "columns")
        defaults = _strings(data.get("defaults") or {}, "defaults")
        if not columns or len(columns) > MAX_COLUMNS:
            raise MappingRefused(f"columns maps 1 to {MAX_COLUMNS} of the file's columns to our fields")
        for where, fields in (("columns", columns.values()), ("defaults", defaults.keys())):
            for name in fields:
                if not _FIELD.fullmatch(name):
                    raise MappingRefused(f"{where} names {name[:60]!r}, which is not a field: the fields are "
                                         + ", ".join(field_names()))  # fmt: skip
        taken = [f for f in columns.values() if list(columns.values()).count(f) > 1]
        if taken:
            raise MappingRefused(f"two columns map to {taken[0]}: map one")
        values: dict[str, dict[str, str]] = {}
        raw = data.get("values") or {}
        if not isinstance(raw, MappingType):
            raise MappingRefused("values maps a field to an object of their words and our values")
        for name, words in raw.items():
            if not isinstance(name, str) or not (_FIELD.fullmatch(name) or name in LISTS):
                raise MappingRefused(f"values names {str(name)[:60]!r}, which is not a field")
            values[name] = _strings(words, f"values.{name}")
        if sum(len(v) for v in values.values()) > MAX_WORDS:
            raise MappingRefused(f"values has more than {MAX_WORDS:,} words")
        return cls(columns, values, defaults)

    @classmethod
    def identity(cls, header: list[str]) -> Mapping:
        """The mapping of a file whose columns are named by our fields (``holder.name``): each to itself."""
        columns = {h: h for h in header if _FIELD.fullmatch(h)}
        if not columns:
            raise MappingRefused("give a mapping: none of the file's columns is named by one of our fields "
                                 "(holder.name, products.0.models, ...)")  # fmt: skip
        return cls(columns)

    def check_header(self, header: list[str]) -> None:
        """Refuse a mapping that names a column the file does not have (the file's columns said)."""
        missing = [c for c in self.columns if c not in header]
        if missing:
            shown = ", ".join(repr(h) for h in header[:40])
            raise MappingRefused(f"the mapping names column {missing[0]!r}, which the file does not have; "
                                 f"its columns are {shown}")  # fmt: skip

    def column_of(self, field_path: str) -> str | None:
        """The column a field (or a part of it: markets.2, products.0.models.1) comes from, if any."""
        best = None
        for column, name in self.columns.items():
            if (field_path == name or field_path.startswith(name + ".")) and (best is None or len(name) > len(best[1])):
                best = (column, name)
        return best[0] if best else None

    def word(self, name: str, value: str) -> str:
        """Our value for their word in field ``name`` (its own, or its list's words, or CNCA's statuses)."""
        short = name.rsplit(".", 1)[-1]
        for table in (self.values.get(name), self.values.get(short) if short in LISTS else None):
            if table:
                if value in table:
                    return table[value]
                folded = {k.casefold(): v for k, v in table.items()}
                if value.casefold() in folded:
                    return folded[value.casefold()]
        if name == "status":
            return KNOWN_STATUS_WORDS.get(value.casefold(), value)
        return value


def _strings(data: object, where: str) -> dict[str, str]:
    if not isinstance(data, MappingType) or not all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 200 and len(v) <= 200 for k, v in data.items()
    ):
        raise MappingRefused(f"{where} maps text to text (each at most 200 characters)")
    return {k.strip(): v.strip() for k, v in data.items()}


def iso_date(text: str) -> str:
    """A date as the model reads it (2024-03-26) from the ways spreadsheets write one; anything else as it is."""
    found = _DATE.fullmatch(text.strip())
    if not found:
        return text
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3))).isoformat()
    except ValueError:
        return text


def _put(target: dict[str, Any], path: str, value: object) -> None:
    """Set ``value`` at a dotted path, making the objects and list items on the way."""
    parts = path.split(".")
    here: Any = target
    for part, following in itertools.pairwise(parts):
        nxt: Any = [] if following.isdigit() else {}
        if part.isdigit():
            while len(here) <= int(part):
                here.append(None)
            if here[int(part)] is None:
                here[int(part)] = nxt
            here = here[int(part)]
        else:
            here = here.setdefault(part, nxt)
    last = parts[-1]
    if last.isdigit():
        while len(here) <= int(last):
            here.append(None)
        here[int(last)] = value
    else:
        here[last] = value


def row_to_record(mapping: Mapping, header: list[str], cells: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A row as a certificate's JSON (still to be checked by the model) and its import fields (status...)."""
    given: dict[str, str] = dict(mapping.defaults)
    for column, name in mapping.columns.items():
        place = header.index(column)
        cell = cells[place].strip() if place < len(cells) else ""
        if cell:
            given[name] = cell
    record: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for name, cell in given.items():
        short = name.rsplit(".", 1)[-1]
        if name in IMPORT_ONLY:
            extra[name] = iso_date(cell) if name in DATES else mapping.word(name, cell)
            continue
        value: object
        if short in LISTS:
            value = [mapping.word(name, part.strip()) for part in _SPLIT[short].split(cell) if part.strip()]
            if short == "markets":
                value = [str(v).upper() for v in value]
        elif short in DATES:
            value = iso_date(mapping.word(name, cell))
        elif short == "quantity":
            word = mapping.word(name, cell)
            value = int(word) if word.isdigit() and len(word) < 12 else word
        else:
            value = mapping.word(name, cell)
        _put(record, name, value)
    for listed in ("products", "standards", "recognitions"):
        if isinstance(record.get(listed), list):
            record[listed] = [item for item in record[listed] if item is not None]
    return record, extra
