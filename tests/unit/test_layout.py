"""The house's rules: no import circles, and a store that persists records without knowing how they are made."""

from __future__ import annotations

import tomllib
from pathlib import Path

import verifier
from tests.import_graph import (
    FLOORS,
    circles,
    forbidden_for_the_store,
    graph,
    modules,
    reachable,
    room,
    wrong_way,
)

REPO = Path(__file__).resolve().parents[2]


def test_the_graph_is_read_from_every_module() -> None:
    edges = graph()
    assert "verifier.store.registry" in edges
    assert "verifier.seal.base32" in edges["verifier.seal.cose"]  # `from verifier.seal import base32` is the module
    assert "verifier.store.records" in edges["verifier.issuing.recipe"]


def test_no_module_imports_round_a_circle() -> None:
    assert circles(graph()) == []


def test_the_circle_finder_finds_one() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_room_is_on_a_floor() -> None:
    rooms = {room(m) for m in modules()} - {"ground"}
    assert rooms == set(FLOORS) - {"ground"}, "a new package needs its floor in tests/import_graph.py"
    assert room("verifier.paper.render") == "paper"
    assert room("verifier.errors") == "ground"
    assert room("verifier.store") == "store"


def test_every_import_goes_down_a_floor() -> None:
    """Each package imports only from lower floors; packages on one floor never import each other."""
    assert wrong_way(graph()) == []


def test_the_floor_rule_finds_an_arrow_up_and_one_across() -> None:
    edges = {
        "verifier.paper.render": {"verifier.issuing.recipe", "verifier.verification.check", "verifier.errors"},
        "verifier.issuing.recipe": set(),
        "verifier.verification.check": set(),
        "verifier.errors": set(),
    }
    assert wrong_way(edges) == [
        "verifier.paper.render → verifier.issuing.recipe",
        "verifier.paper.render → verifier.verification.check",
    ]


def test_the_store_reaches_nothing_of_sealing_rendering_or_the_model() -> None:
    edges = graph()
    store = [m for m in modules() if m.startswith("verifier.store")]
    assert len(store) >= 8
    for module in store:
        assert not any(forbidden_for_the_store(m) for m in reachable(edges, module)), module
        assert not any(m.startswith(("verifier.api", "verifier.cli")) for m in reachable(edges, module)), module


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


def test_every_module_is_at_most_400_lines() -> None:
    """A module past 400 lines holds more than one thing: give the other a module of its own."""
    long = {name: n for name, path in modules().items() if (n := len(path.read_text("utf-8").splitlines())) > 400}
    assert long == {}
