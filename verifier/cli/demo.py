"""``verifier demo``: a demo issuer with the demo certificates, their PDFs and links, then the service."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from verifier import logs
from verifier.cli.common import Commands, configured_secrets, listen_options
from verifier.origins import check_public_url

if TYPE_CHECKING:
    from verifier.config import Settings


def register(commands: Commands) -> None:
    """Add ``demo`` to the command line."""
    demo = commands.add_parser("demo", help="a demo issuer and the demo certificates, then serve")
    listen_options(demo)
    demo.add_argument("--no-serve", action="store_true", help="set up and print, but do not serve")
    demo.add_argument("--out", type=Path, metavar="DIR", help="where the PDFs go (default: DATA_DIR/demo)")
    demo.set_defaults(run=_demo)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    """The newcomer's first run: demo data, its files and links, then the service itself."""
    from verifier.config import warn_at_start
    from verifier.demo import firstrun
    from verifier.server.app import create_app

    if not os.environ.get("VERIFIER_PUBLIC_URL"):  # the links must reach this very server
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104 - compared, not bound
        settings = replace(settings, public_url=check_public_url(f"http://{host}:{args.port}"))
    log_config = logs.configure(settings.log_level, configured_secrets(settings), settings.log_format)
    warn_at_start(settings)
    app = create_app(settings, serving=not args.no_serve)
    services = app.state.services
    demo = firstrun.set_up(
        services.registry, services.pdfs, settings.public_url, args.out or settings.data_dir / "demo", datetime.now(UTC)
    )
    print(firstrun.describe(demo, _program()), flush=True)
    if args.no_serve:
        return 0
    import uvicorn

    from verifier.api.protocol import server_options

    uvicorn.run(app, host=args.host, port=args.port, log_config=log_config, **server_options(settings))
    return 0


def _program() -> str:
    """How the user can call this command again: the script's path when it was run as one."""
    script = Path(sys.argv[0])
    on_path = shutil.which("verifier")
    if script.name != "verifier" or (on_path and Path(on_path).resolve() == script.resolve()):
        return "verifier"
    return os.path.relpath(script)
