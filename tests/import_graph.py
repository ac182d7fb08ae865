"""The import graph of ``verifier/``, read from the source (no module is imported), and its floors.

    .venv/bin/python -m tests.import_graph      prints the house's floors, then each arrow between rooms

The house (:data:`FLOORS`): the ground floor is the modules at the package's root; every capability is
a package on a floor, importing only from lower floors, never from a package beside it on its own.

Every ``import``/``from … import`` of a ``verifier`` module counts, wherever it stands (inside a
function or under ``TYPE_CHECKING`` too): a circle hidden in a function is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "verifier"

# Each room of the house and its floor. "ground" is every module at the package's root; the package's
# own __init__ (the library's public names, loaded lazily) and __main__ stand above the house.
FLOORS = {
    "ground": 1,
    "tlog": 2,
    "certificate": 3,
    "trust": 3,
    "seal": 4,
    "paper": 5,
    "verification": 5,
    "store": 6,
    "uploads": 6,
    "credentials": 6,
    "issuing": 7,
    "imports": 7,
    "ledger": 7,
    "watches": 7,
    "demo": 8,
    "reads": 8,
    "api": 9,
    "console": 10,
    "server": 11,
    "cli": 12,
}
ABOVE_THE_HOUSE = {"verifier", "verifier.__main__"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (the migrations' scripts are Alembic's, not ours)."""
    return {_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


def graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports."""
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                for alias in node.names:  # `from verifier import base32` imports the module verifier.seal.base32
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        edges[name] = {m for m in found if m in known and m != name}
    return edges


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(edges[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(edges[module])
    return seen


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, round a circle (strongly connected, Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(edges[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def room(module: str) -> str:
    """The package a module belongs to: ``verifier.paper.render`` is in ``paper``; ``verifier.errors`` is ground."""
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()):
        return parts[1]
    return "ground"


def arrows(edges: dict[str, set[str]]) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(room, room) → the imports that go from the first to the second, for every import between rooms."""
    found: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for module, imported in edges.items():
        if module in ABOVE_THE_HOUSE:
            continue
        for other in imported:
            if room(module) != room(other):
                found.setdefault((room(module), room(other)), set()).add((module, other))
    return found


def wrong_way(edges: dict[str, set[str]]) -> list[str]:
    """Every import that does not go down a floor: up, or across to a package on the same floor."""
    return sorted(
        f"{module} → {other}"
        for (here, there), pairs in arrows(edges).items()
        if FLOORS[there] >= FLOORS[here]
        for module, other in pairs
    )


def floors(edges: dict[str, set[str]]) -> list[list[str]]:
    """The modules by floor: floor 0 imports nothing of the package, floor n only from floors below n."""
    level: dict[str, int] = {}

    def floor(module: str) -> int:
        if module not in level:
            level[module] = 1 + max((floor(m) for m in edges[module]), default=-1)
        return level[module]

    for module in edges:
        floor(module)
    return [sorted(m for m, n in level.items() if n == k) for k in range(max(level.values()) + 1)]


if __name__ == "__main__":
    edges = graph()
    if circles(edges):
        raise SystemExit(f"import circles: {circles(edges)}")
    for number in sorted(set(FLOORS.values()), reverse=True):
        print(f"floor {number:>2}: {'  '.join(r + '/' if r != 'ground' else r for r in FLOORS if FLOORS[r] == number)}")
    print()
    for (here, there), pairs in sorted(arrows(edges).items(), key=lambda a: (-FLOORS[a[0][0]], a[0])):
        mark = "" if FLOORS[there] < FLOORS[here] else "   ← WRONG WAY"
        print(f"{here} ({FLOORS[here]}) → {there} ({FLOORS[there]}): {len(pairs)} imports{mark}")
    if wrong_way(edges):
        raise SystemExit("imports that do not go down a floor:\n  " + "\n  ".join(wrong_way(edges)))


# What the store must never reach, even through another module: it persists and reads records.
NOT_FOR_THE_STORE = {
    "verifier.seal",
    "verifier.paper.render",
    "verifier.paper.selftest",
    "verifier.paper.pool",
    "verifier.issuing",
    "verifier.verification",
    "verifier.certificate.model",
    "verifier.certificate.fields",
}


def forbidden_for_the_store(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in NOT_FOR_THE_STORE)
