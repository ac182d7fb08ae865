"""What issuing a certificate needs from the system beyond Python, and whether this machine has it.

A certificate's PDF is drawn by WeasyPrint (pango, harfbuzz's subsetter, fontconfig), set in Noto Sans
CJK, and its QR code is read back by zbar before the certificate is released. None of them is a Python
package: a machine or image without one still serves scans, but every issuance would fail. The probe
loads each library by the name its user loads it, in a child process (a library that crashes as it
loads cannot take the service with it, and WeasyPrint's memory stays out of the server), once per
process; ``/healthz`` answers 503 and issuing 503 while anything is missing.

``python -m verifier.needs`` runs the probe and prints what is missing, as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import dataclass

from verifier.errors import Kind, VerifierError

PROBE_TIMEOUT = 60.0


class CannotIssue(VerifierError):
    """Something issuance needs (a library, the font) is missing here: the operator must install it."""

    kind = Kind.UNAVAILABLE
    code = "cannot_issue"
    retry_after = 300


@dataclass(frozen=True)
class Need:
    """One thing issuance loads: the Debian package that brings it, and how it is loaded."""

    package: str
    what: str
    library: str | None = None  # a shared library's file name, loaded with ctypes
    module: str | None = None  # or a Python module that loads its libraries as it is imported


@dataclass(frozen=True)
class Missing:
    """A need this machine does not meet, with the loader's own words."""

    package: str
    what: str
    error: str


NEEDS = (
    Need("libpango-1.0-0", "pango, which lays out the certificate's text", library="libpango-1.0.so.0"),
    Need("libpangoft2-1.0-0", "pango's fontconfig back end", library="libpangoft2-1.0.so.0"),
    Need("libharfbuzz-subset0", "harfbuzz's subsetter, which cuts the fonts", library="libharfbuzz-subset.so.0"),
    Need("fontconfig", "fontconfig, which finds the fonts", library="libfontconfig.so.1"),
    Need("libzbar0", "zbar, the self-test's second QR decoder", library="libzbar.so.0"),
    Need("libpango-1.0-0", "WeasyPrint, which draws the PDF", module="weasyprint"),
    Need("libzbar0", "zbar's Python binding", module="pyzbar.pyzbar"),
    Need("fonts-noto-cjk", "Noto Sans CJK, the certificates' Chinese font", module="verifier.paper.fonts:_faces"),
)


def probe(needs: tuple[Need, ...] = NEEDS) -> list[Missing]:
    """Load each need here, in this process; what failed to load. Never raises."""
    import ctypes
    import importlib

    missing = []
    for need in needs:
        try:
            if need.library is not None:
                ctypes.CDLL(need.library)
            elif need.module is not None:
                name, _, call = need.module.partition(":")
                module = importlib.import_module(name)
                if call:
                    getattr(module, call)()
        except Exception as exc:  # noqa: BLE001 - whatever a loader raises, it is the answer
            missing.append(Missing(need.package, need.what, f"{type(exc).__name__}: {exc}"[:300]))
    return missing


def probe_apart(needs: tuple[Need, ...] = NEEDS, timeout: float = PROBE_TIMEOUT) -> list[Missing]:
    """:func:`probe` in a child process of this Python; a child that fails or hangs is one more answer."""
    request = json.dumps([need.__dict__ for need in needs])
    try:
        done = subprocess.run(  # noqa: S603 - this Python, this module
            [sys.executable, "-m", "verifier.needs", "--needs", request],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return [Missing("?", "the dependency probe", f"no answer in {timeout:.0f} s")]
    if done.returncode not in (0, 1):
        tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return [Missing("?", "the dependency probe", tail[:300])]
    return [Missing(**entry) for entry in json.loads(done.stdout)]


class Readiness:
    """Whether this process can issue: the probe run once (on first asking), then remembered."""

    def __init__(self, needs: tuple[Need, ...] = NEEDS) -> None:
        self.needs = needs
        self._missing: list[Missing] | None = None
        self._lock = threading.Lock()

    def missing(self) -> list[Missing]:
        """What issuance lacks here (empty when it can issue); the first call waits for the probe."""
        with self._lock:
            if self._missing is None:
                self._missing = probe_apart(self.needs)
            return self._missing

    def require(self) -> None:
        """Raise :class:`CannotIssue` saying what is missing, unless issuance can work here."""
        missing = self.missing()
        if missing:
            raise CannotIssue(describe(missing))

    def start(self) -> None:
        """Run the probe in the background now, so the first health check finds it done."""
        threading.Thread(target=self.missing, name="verifier-needs", daemon=True).start()


def describe(missing: list[Missing]) -> str:
    """One sentence for an operator: what is missing and which packages bring it."""
    packages = sorted({m.package for m in missing if m.package != "?"})
    what = "; ".join(f"{m.what} ({m.error})" for m in missing)
    install = f" Install the Debian packages {', '.join(packages)}." if packages else ""
    return f"this service cannot issue certificates: {what}.{install}"


def main(argv: list[str] | None = None) -> int:
    """Print what is missing as JSON; exit 1 when anything is."""
    args = sys.argv[1:] if argv is None else argv
    needs: tuple[Need, ...] = NEEDS
    if args[:1] == ["--needs"] and len(args) == 2:
        needs = tuple(Need(**entry) for entry in json.loads(args[1]))
    missing = probe(needs)
    print(json.dumps([m.__dict__ for m in missing], ensure_ascii=False))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
