"""What issuance needs from the system: one package list for the host and the image, and a service that
says when something is missing instead of answering every issuance with a 500."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.helpers.needs import ABSENT
from verifier.needs import NEEDS, Need, probe_apart

REPO = Path(__file__).resolve().parents[2]


def packages(*where: str) -> list[str]:
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "packages.sh"), *where], capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def stages() -> dict[str, str]:
    """The Dockerfile's stages by name (the last one, the image itself, as "final")."""
    text = (REPO / "Dockerfile").read_text()
    parts = re.split(r"^FROM \S+(?: AS (\w+))?$", text, flags=re.MULTILINE)
    named = {(name or "final"): body for name, body in zip(parts[1::2], parts[2::2], strict=True)}
    return named


def test_every_package_issuance_loads_is_installed_on_the_host_and_in_the_image() -> None:
    run = packages("run")
    for need in NEEDS:
        assert need.package in run, f"{need.package} ({need.what}) is not tagged run in scripts/packages.txt"
    assert "libzbar0" in run  # the image once shipped without it: every issuance answered 500
    final = stages()["final"]
    assert "packages.sh run image)" in final, "the image's run-time stage must install the list's run packages"
    assert "packages.sh build)" in stages()["build"]
    makefile = (REPO / "Makefile").read_text()
    assert "SYSTEM_PACKAGES := $(shell bash scripts/packages.sh run test)" in makefile
    assert not set(packages("test")) & set(packages("image")), "a test-only package in the image"
    ignored = (REPO / ".dockerignore").read_text()
    assert "!scripts/packages.txt" in ignored and "!scripts/packages.sh" in ignored


def test_the_probe_loads_what_issuance_loads_and_names_the_package_of_what_fails() -> None:
    assert probe_apart() == []  # this machine issues: make test installed the list
    (missing,) = probe_apart((NEEDS[0], ABSENT))
    assert missing.package == "libzbar0"
    assert "libzbar-absent-for-a-test.so.0" in missing.error
    (failed,) = probe_apart((Need("fonts-noto-cjk", "a font", module="verifier.no_such_module:call"),))
    assert failed.package == "fonts-noto-cjk" and "ModuleNotFoundError" in failed.error
