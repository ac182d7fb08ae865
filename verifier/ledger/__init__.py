"""The transparency log as the service runs it, and its outside parties (floor 7, beside issuing).

:mod:`.log` is the service's side (:class:`Ledger`: the log's key and origin, checkpoints signed,
witnesses' cosignatures taken, tiles and proofs served); :mod:`.witness` is a partner body's witness,
which replays every new entry before it cosigns; :mod:`.monitor` follows the log for one issuer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.lazy import exports

if TYPE_CHECKING:
    from verifier.ledger.log import Ledger, LogUnavailable, origin_of

__all__ = ["Ledger", "LogUnavailable", "origin_of"]
__getattr__, __dir__ = exports(__name__, __file__)
