"""The command line run in process: ``verifier.cli.main(argv)`` with its own folder, environment and streams.

Starting ``python -m verifier`` costs about a second; ``main`` returns the exit status and prints what
the program prints, so a test of what a command does calls it here. What only a process shows (the
entry point, ``serve`` and ``demo``, signals, a broken pipe) keeps a subprocess: one smoke test per
command group runs the real program (``tests/system/test_cli_process.py``).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from verifier.cli import main


@dataclass(frozen=True)
class Ran:
    """What a command did, in the shape of ``subprocess.CompletedProcess``."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class _Stream(io.StringIO):
    """Text written, and bytes written to ``.buffer`` (as ``trustlists sign`` does), read back as UTF-8."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = io.BytesIO()

    def text(self) -> str:
        return self.getvalue() + self.buffer.getvalue().decode("utf-8", "replace")


@contextlib.contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    if env is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_cli(*args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None, stdin: str = "") -> Ran:
    """``verifier ARGS…`` in process: in ``cwd``, with exactly ``env`` (the test's own when None)."""
    argv = tuple(str(a) for a in args)
    out, err = _Stream(), _Stream()
    saved_in = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with (
            contextlib.chdir(cwd or Path.cwd()),
            _environment(env),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse: --help, and a usage error
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        sys.stdin = saved_in
    return Ran(argv, code, out.text(), err.text())
