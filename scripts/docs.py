"""Write what the docs show that the code defines: the README's table of settings (verifier.config.SETTINGS).

    .venv/bin/python scripts/docs.py        (or: make docs)

The suite holds the README equal to what this writes (tests/unit/test_config.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from verifier.config import settings_table  # noqa: E402

MARK = "<!-- generated from verifier/config.py's SETTINGS by `make docs`: edit there -->\n"


def with_table(readme: str) -> str:
    """The README with its settings table (from the mark to the first blank line) written anew."""
    start = readme.index(MARK) + len(MARK)
    end = readme.index("\n\n", start)
    return readme[:start] + settings_table().rstrip("\n") + readme[end:]


if __name__ == "__main__":
    path = REPO / "README.md"
    path.write_text(with_table(path.read_text("utf-8")), "utf-8")
    print(f"wrote the settings table in {path.relative_to(REPO)}")
