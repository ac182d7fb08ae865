"""The verification page's languages: message catalogues and the choice of language.

Catalogues are JSON files under ``templates/locales/`` (one per language, the same keys in each); the
page's words live there, never in the template. A language is chosen by ``?lang=``, then by the
``Accept-Language`` header (quality values honoured), then English.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from verifier.resources import TEMPLATES

LANGUAGES = ("en", "zh", "es", "fr", "ru", "ar")
RIGHT_TO_LEFT = frozenset({"ar"})
DEFAULT = "en"


_TAGS = re.compile(r"<[^>]*>")


@cache
def catalogue(language: str, templates: Path = TEMPLATES) -> dict[str, str]:
    """The messages of one language."""
    data: dict[str, str] = json.loads((templates / "locales" / f"{language}.json").read_text("utf-8"))
    return data


def choose(query: str | None, accept_language: str | None) -> str:
    """The page's language: ``?lang=`` if it names one we have, else the best ``Accept-Language`` match."""
    if query and query.lower() in LANGUAGES:
        return query.lower()
    offers: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            offers.append((-quality, position, primary))
    return min(offers)[2] if offers else DEFAULT


class Messages:
    """One language's messages, formatted with named fields; a missing field leaves the text as written."""

    def __init__(self, language: str, templates: Path = TEMPLATES) -> None:
        self.language = language
        self.direction = "rtl" if language in RIGHT_TO_LEFT else "ltr"
        self._messages = catalogue(language, templates)

    def has(self, key: str) -> bool:
        """Whether this language has a message ``key`` (plural forms differ from language to language)."""
        return key in self._messages

    def __call__(self, key: str, **fields: str) -> str:
        """The message ``key``, with ``{field}`` filled in."""
        text = self._messages[key]
        if not fields:
            return text
        for name, value in fields.items():  # "7 ноября 2026 г." before the sentence's own full stop: one stop
            if _TAGS.sub("", value).rstrip().endswith("."):
                text = text.replace(f"{{{name}}}.", f"{{{name}}}")
        return text.format_map(fields)
