"""The watches' delivery loop: events read into deliveries, each sent signed, retried with back-off, every attempt kept.

Every ``interval`` (half a second) any replica reads the new status and recognition events into
deliveries (:meth:`~verifier.store.watches.Watches.enqueue`), leases the deliveries due and sends them,
:data:`CONCURRENCY` receivers at once (one watch's in the order of its events), through
:func:`verifier.watches.delivery.post`. A delivery is signed as
Standard Webhooks has it, asymmetrically (``webhook-signature: v1a,<base64 Ed25519>`` over
``id.timestamp.body``) by the operator's key, which the trust list and ``/.well-known/did.json`` publish:
no secret to hand a subscriber. A 2xx answer delivers it; 410 Gone ends the watch; anything else (no
answer, a refused address, 5xx) tries again after 5 s, 10 s, 20 s … at most an hour apart, for about a
day (:data:`MAX_ATTEMPTS`), then gives up.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from verifier.store.registry import Registry
from verifier.store.watches import Due
from verifier.watches.delivery import DEADLINE, Network, Sent, post

log = logging.getLogger("verifier")
CONCURRENCY = 16  # deliveries sent at once by one replica
BATCH = 64  # deliveries leased at once
FIRST_RETRY = 5.0  # seconds; doubled each attempt
LONGEST_WAIT = 3600.0
MAX_ATTEMPTS = 30  # about a day: 5 s, 10 s, … an hour, then hourly
LEASE = timedelta(seconds=DEADLINE * 2)


def retry_after(attempts: int, spread: float = 0.1) -> float:
    """Seconds before the next attempt, after ``attempts`` have failed (± ``spread``, so retries do not herd)."""
    wait = min(FIRST_RETRY * 2.0 ** (attempts - 1), LONGEST_WAIT)
    jitter: float = random.uniform(-spread, spread)  # noqa: S311 - spreading retries, not a secret
    return wait * (1 + jitter)


class Dispatcher:
    """Sends the watches' deliveries for one service."""

    def __init__(
        self,
        registry: Registry,
        public_url: str,
        clock: Callable[[], datetime],
        allowed: Sequence[Network] = (),
        ca_file: str | None = None,
        counted: Callable[[str], None] = lambda outcome: None,
    ) -> None:
        self.registry = registry
        self.public_url = public_url
        self.clock = clock
        self.allowed = tuple(allowed)
        self.tls = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
        self.deadline = DEADLINE  # seconds an attempt may take, redirects included
        self.counted = counted  # each attempt's outcome: delivered, retry, failed, gone (the metrics')

    async def run(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        """Read, lease and send until ``stop`` is set; a failing database is logged and tried again."""
        while not stop.is_set():
            try:
                await self.round()
            except Exception:  # the events and deliveries stay; the next round takes them
                log.exception("cannot deliver the watches' events now; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def round(self) -> int:
        """One round: new events read into deliveries, the due ones sent; how many were sent."""
        await asyncio.to_thread(self.registry.watches.enqueue, self.clock())
        due = await asyncio.to_thread(self.registry.watches.due, self.clock(), BATCH, LEASE)
        gate = asyncio.Semaphore(CONCURRENCY)
        by_watch: dict[str, list[Due]] = {}
        for delivery in due:  # leased oldest first
            by_watch.setdefault(delivery.watch_id, []).append(delivery)

        async def in_order(deliveries: list[Due]) -> None:  # one watch's, one after the other
            async with gate:
                for delivery in deliveries:
                    await self.send(delivery)

        await asyncio.gather(*(in_order(d) for d in by_watch.values()))
        return len(due)

    async def send(self, due: Due) -> Sent:
        """Send one delivery and record the attempt and what follows from it."""
        body = self.body(due)
        at = self.clock()
        result = await post(due.url, body, self.headers(due, body, at), self.allowed, self.tls, self.deadline)
        attempts = due.attempts + 1
        if result.delivered:
            state, next_at = "delivered", None
        elif result.status == 410:
            state, next_at = "dropped", None
            await asyncio.to_thread(self.registry.watches.end, due.watch_id, "gone", at)
        elif attempts >= MAX_ATTEMPTS:
            state, next_at = "failed", None
        else:
            state, next_at = "pending", at + timedelta(seconds=retry_after(attempts))
        await asyncio.to_thread(self.registry.watches.attempted, due, at, result.ms, result.status, result.outcome,
                                state, next_at)  # fmt: skip
        self.counted({"pending": "retry", "dropped": "gone"}.get(state, state))
        return result

    def body(self, due: Due) -> bytes:
        """The delivery's JSON: its type, when the event was read, and what happened (the same on every attempt)."""
        data: dict[str, Any] = dict(due.payload)
        certificate = dict(data.get("certificate") or {})
        link = certificate.pop("link", None)
        if link:
            certificate["verify_url"] = f"{self.public_url}/c/{link}"
        data["certificate"] = certificate
        data["watch"] = due.watch_id
        data["unsubscribe_url"] = f"{self.public_url}/watches/{due.watch_id}/unsubscribe?token={due.token}"
        timestamp = due.created_at.isoformat().replace("+00:00", "Z")
        return orjson.dumps({"type": due.event, "timestamp": timestamp, "data": data})

    def headers(self, due: Due, body: bytes, at: datetime) -> dict[str, str]:
        """Standard Webhooks' headers, signed by the operator's key (``v1a``: Ed25519)."""
        key = self.registry.issuers.operator_key()
        stamp = str(int(at.timestamp()))
        signature = key.private_key.sign(f"{due.id}.{stamp}.".encode() + body)
        return {
            "webhook-id": due.id,
            "webhook-timestamp": stamp,
            "webhook-signature": "v1a," + base64.b64encode(signature).decode("ascii"),
            "webhook-key-id": key.record.kid_hex,
            "User-Agent": "verifier-watches/1",
            "List-Unsubscribe": f"<{self.public_url}/watches/{due.watch_id}/unsubscribe?token={due.token}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
