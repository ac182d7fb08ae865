"""The service's work beside its requests, off the event loop.

What public reads answer from memory kept current, the log's checkpoints signed, the reports past their
period let go, the watches' deliveries sent: each a loop until the app stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from verifier.api.deps import Services, TrustCache

log = logging.getLogger("verifier")
REPORT_PURGE_SECONDS = 3600.0


async def keep_current(services: Services, stop: asyncio.Event) -> None:
    """What public reads answer from memory, kept current off the event loop until ``stop`` is set.

    The status lists and the recognitions' version (each polled every 0.1 s) and the trust list (rebuilt
    when older than its time to live).
    """
    await asyncio.gather(
        services.board.run(stop),
        services.recognised.run(stop),
        _refresh_trust(services.trust, stop),
        _checkpoints(services, stop),
        _let_reports_go(services, stop),
        services.dispatcher.run(stop),
    )


async def _let_reports_go(services: Services, stop: asyncio.Event) -> None:
    """Delete the verification reports past their period, at start and every hour."""
    while not stop.is_set():
        try:
            gone = await asyncio.to_thread(services.registry.reports.purge, services.clock())
            if gone:
                log.info("let %d verification reports go: past their %d days", gone, services.settings.report_days)
        except Exception:  # kept a little longer; the next round tries again
            log.exception("cannot delete the reports past their period; trying again in an hour")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REPORT_PURGE_SECONDS)


async def _checkpoints(services: Services, stop: asyncio.Event) -> None:
    """Sign a checkpoint over the log's new entries every ``log_checkpoint_seconds`` (none when none are new)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), services.settings.log_checkpoint_seconds)
            return
        try:
            await asyncio.to_thread(services.ledger.integrate, services.clock())
            await asyncio.to_thread(services.ledger.refresh, services.clock())
            services.metrics.logged(await asyncio.to_thread(services.ledger.health, services.clock()))
        except Exception:  # the entries stay sequenced; the next round integrates them
            log.exception("cannot sign the log's next checkpoint; trying again")


async def _refresh_trust(trust: TrustCache, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
            return
        try:
            await asyncio.to_thread(trust.refresh_if_old)
        except Exception:  # the list cached stays in use; the next second tries again
            log.exception("cannot rebuild the trust list; the one cached stays in use")
