"""The house's rules at run time: a room loads only the rooms below it, and importing changes nothing else."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.import_graph import ABOVE_THE_HOUSE, FLOORS, forbidden_for_the_store, room

_LOADED = (
    "import sys, json, importlib, pkgutil; "
    "package = importlib.import_module(sys.argv[1]); "
    "[importlib.import_module(m.name) for m in pkgutil.walk_packages(package.__path__, sys.argv[1] + '.') "
    "if '.migrations' not in m.name and not m.name.endswith('__main__')]; "
    "print(json.dumps(sorted(m for m in sys.modules if m.startswith('verifier'))))"
)


def _loaded_by(package: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _LOADED, package], check=True, capture_output=True, text=True)
    return set(json.loads(done.stdout))


def test_at_run_time_a_room_loads_only_rooms_below_it() -> None:
    """Importing every module of a package loads no package above it or beside it (names load lazily)."""
    for package, floor in FLOORS.items():
        if package == "ground":
            continue
        loaded = _loaded_by(f"verifier.{package}")
        wrong = sorted(m for m in loaded - ABOVE_THE_HOUSE if room(m) != package and FLOORS[room(m)] >= floor)
        assert wrong == [], package
        if package == "store":
            assert "verifier.store.certificates" in loaded
            assert not any(forbidden_for_the_store(m) for m in loaded)


_UNTOUCHED = """
import importlib, pkgutil, sys
import pydyf, segno.encoder
before = (segno.encoder.find_and_apply_best_mask, pydyf.Stream.data)
import verifier
for m in pkgutil.walk_packages(verifier.__path__, "verifier."):
    if ".migrations" not in m.name and not m.name.endswith("__main__"):
        importlib.import_module(m.name)
assert (segno.encoder.find_and_apply_best_mask, pydyf.Stream.data) == before, "patched at import"
print(len([m for m in sys.modules if m.startswith("verifier.")]))
"""


def test_importing_every_module_patches_no_library() -> None:
    """segno's mask choice and pydyf's streams are replaced where a QR or a PDF is made, not at import."""
    done = subprocess.run([sys.executable, "-c", _UNTOUCHED], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 90
