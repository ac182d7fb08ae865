"""The house's rules: no import circles, and a store that persists records without knowing how they are made."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import verifier
from tests.import_graph import circles, graph, modules, reachable

REPO = Path(__file__).resolve().parents[1]

# What the store must never reach, even through another module: it persists and reads records.
NOT_FOR_THE_STORE = {
    "verifier.seal",
    "verifier.claims",
    "verifier.render",
    "verifier.selftest",
    "verifier.issuing",
    "verifier.model",
    "verifier.check",
    "verifier.result",
}


def test_the_graph_is_read_from_every_module() -> None:
    edges = graph()
    assert "verifier.store.registry" in edges
    assert "verifier.base32" in edges["verifier.seal"]  # `from verifier import base32` is the module
    assert "verifier.store.records" in edges["verifier.issuing"]


def test_no_module_imports_round_a_circle() -> None:
    assert circles(graph()) == []


def test_the_circle_finder_finds_one() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_store_reaches_nothing_of_sealing_rendering_or_the_model() -> None:
    edges = graph()
    store = [m for m in modules() if m.startswith("verifier.store")]
    assert len(store) >= 8
    for module in store:
        assert not reachable(edges, module) & NOT_FOR_THE_STORE, module
        assert not any(m.startswith(("verifier.api", "verifier.cli")) for m in reachable(edges, module)), module


def test_importing_the_store_loads_none_of_it() -> None:
    """At run time too: the package's public names load lazily, so the store stands on its own floors."""
    code = (
        "import sys, json, verifier.store.registry; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('verifier'))))"
    )
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True).stdout))
    assert "verifier.store.certificates" in loaded
    assert not loaded & NOT_FOR_THE_STORE


def test_every_public_name_resolves() -> None:
    for name in verifier.__all__:
        assert getattr(verifier, name) is not None, name
    assert verifier.Verdict.VALID.value == "valid"
    assert set(verifier.__all__) <= set(dir(verifier))


def _folders(top: Path, package: str) -> set[str]:
    return {package} | {
        ".".join([package, *p.relative_to(top).parts]) for p in top.rglob("*") if p.is_dir() and p.name != "__pycache__"
    }


def test_every_folder_of_the_package_is_in_the_build() -> None:
    """pyproject.toml lists the packages (templates/ and the scanner's and seal's JavaScript in web/ are mapped in):
    a new folder must be added there."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    mapped = {"verifier.templates": "templates", "verifier.web.scan": "web/scan", "verifier.web.seal": "web/seal"}
    assert setuptools["package-dir"] == mapped
    on_disk = _folders(REPO / "verifier", "verifier") | _folders(REPO / "templates", "verifier.templates")
    on_disk |= {"verifier.web.scan", "verifier.web.seal"}  # their test/ folders stay out of the wheel
    assert set(setuptools["packages"]) == on_disk
    assert (
        setuptools["package-data"]["verifier.web.scan"] == setuptools["package-data"]["verifier.web.seal"] == ["*.js"]
    )
    assert not (REPO / "verifier" / "templates").exists()
