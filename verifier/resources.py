"""Where the package's files are: the templates (the certificate's HTML and CSS, the pages, their wording)."""

from __future__ import annotations

from pathlib import Path


def _find_templates() -> Path:
    """``templates/``: inside the package when installed from a wheel, beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for folder in (here / "templates", here.parent / "templates"):
        if (folder / "certificate.html.j2").is_file():
            return folder
    raise FileNotFoundError(f"no templates/ in {here} or beside it: reinstall the package")


TEMPLATES = _find_templates()
