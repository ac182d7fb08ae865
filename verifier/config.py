"""Settings, read from ``VERIFIER_*`` environment variables with working defaults.

Nothing reads the environment at import time: :func:`load_settings` is called by the command line (and
the service) and the result is passed down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from verifier.seal import check_public_url

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Settings:
    """Where the service keeps its data and keys, and the public URL its QR codes point to."""

    public_url: str = DEFAULT_PUBLIC_URL
    data_dir: Path = Path("data")
    keys_dir: Path = Path("keys")
    key_passphrase: bytes | None = None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (the process environment by default); raises ValueError on a bad value.

    ``VERIFIER_PUBLIC_URL`` (an origin: http(s)://host[:port]), ``VERIFIER_DATA_DIR``,
    ``VERIFIER_KEYS_DIR``, ``VERIFIER_KEY_PASSPHRASE`` (encrypts private keys at rest).
    """
    env = os.environ if environ is None else environ
    passphrase = env.get("VERIFIER_KEY_PASSPHRASE")
    return Settings(
        public_url=check_public_url(env.get("VERIFIER_PUBLIC_URL", DEFAULT_PUBLIC_URL)),
        data_dir=Path(env.get("VERIFIER_DATA_DIR", "data")),
        keys_dir=Path(env.get("VERIFIER_KEYS_DIR", "keys")),
        key_passphrase=passphrase.encode("utf-8") if passphrase else None,
    )
