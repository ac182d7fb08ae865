"""The public origin a QR text names: ``http(s)://host[:port]``, one spelling per service.

On the ground floor: configuration, the trust list and the seal all compare origins in this form.
"""

from __future__ import annotations

import re

# What a URL with no port means, per scheme: https://host:443 is https://host.
DEFAULT_PORTS = {"https": ":443", "http": ":80"}

_ORIGIN = re.compile(r"https?://[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?")


def check_public_url(url: str) -> str:
    """``url`` as an origin the QR text can carry (lower case, no trailing slash, no default port).

    Raises ValueError unless it is ``http(s)://host[:port]``: no path, query, user or fragment, because
    the QR upper-cases it and only scheme and host are case-insensitive.
    """
    origin = url.strip().rstrip("/").lower()
    if not _ORIGIN.fullmatch(origin):
        raise ValueError(f"public URL must be http(s)://host[:port] with no path, got {url!r}")
    scheme = origin.partition("://")[0]
    return origin.removesuffix(DEFAULT_PORTS[scheme])
