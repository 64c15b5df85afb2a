"""The delivery worker: sends committed delivery rows, each effectively once.

Runs as a task in every service process; replicas share the work. Each cycle claims due rows in a
short transaction (`FOR UPDATE SKIP LOCKED`, a lease, `attempts + 1`) and commits before calling
any provider, so no transaction stays open while a gateway is slow. The claim's attempt number
fences the write-back: a worker whose lease lapsed cannot overwrite a newer claim's outcome.

- Crash after the commit, before sending: the row stays pending and is sent by whoever runs next.
- Crash after the provider took the message, before the outcome was stored: the lease expires and
  the row is sent again with the same idempotency key; the provider answers with its first answer.
- A transient failure is retried with back-off up to the policy's limit, then `failed`; a
  rejection is `failed` at once. Final outcomes run the service's `on_outcome` handler in the
  transaction that stores them.

Leases and back-off run on the database's wall clock (one clock for every replica); `sent_at`
and the outcome's time come from the service clock, like every business timestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clinic_common.clock import Clock
from clinic_common.db.platform import PlatformTables
from clinic_common.deliveries.policy import RetryPolicy
from clinic_common.deliveries.ports import (
    DeliveryOutcome,
    DeliveryRejected,
    OutcomeHandler,
    OutgoingMessage,
    ProviderReceipt,
)
from clinic_common.deliveries.providers import Providers

log = logging.getLogger(__name__)

ResultHook = Callable[[str, str], None]  # (channel, "sent" | "failed" | "retried")
PendingHook = Callable[[int], None]

_MAX_ERROR = 2000


@dataclass(frozen=True)
class ClaimedDelivery:
    id: UUID
    channel: str
    recipient: str | None
    payload: Mapping[str, Any]
    idempotency_key: str
    ref_type: str | None
    ref_id: str | None
    attempts: int  # this claim's number; fences the write-back

    def message(self) -> OutgoingMessage:
        return OutgoingMessage(
            delivery_id=self.id,
            channel=self.channel,
            recipient=self.recipient,
            payload=self.payload,
            idempotency_key=self.idempotency_key,
            ref_type=self.ref_type,
            ref_id=self.ref_id,
            attempt=self.attempts,
        )


class DeliveryWorker:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        platform: PlatformTables,
        providers: Providers,
        clock: Clock,
        on_outcome: Mapping[str, OutcomeHandler] | None = None,
        policy: RetryPolicy | None = None,
        lease_seconds: float = 60.0,
        provider_timeout: float = 15.0,
        poll_seconds: float = 1.0,
        batch_size: int = 20,
        on_result: ResultHook | None = None,
        on_pending: PendingHook | None = None,
    ) -> None:
        if lease_seconds <= provider_timeout:
            raise ValueError("the delivery lease must outlast the provider timeout")
        self.sessionmaker = sessionmaker
        self.table = platform.deliveries
        self.providers = providers
        self.clock = clock
        self.on_outcome = dict(on_outcome or {})
        self.policy = policy or RetryPolicy()
        self.lease = timedelta(seconds=lease_seconds)
        self.provider_timeout = provider_timeout
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.on_result = on_result
        self.on_pending = on_pending
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due rows now instead of at the next poll (after an admin retry, say)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            claimed = 0
            try:
                claimed = await self.run_once()
                if self.on_pending is not None:
                    self.on_pending(await self.pending_count())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: keep polling, rows wait in the table
                log.warning("delivery cycle failed: %s", exc)
            if claimed < self.batch_size:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def run_once(self) -> int:
        """Claim one batch of due rows and send them; returns how many were claimed."""
        rows = await self.claim(self.batch_size)
        if rows:
            await asyncio.gather(*(self.deliver(row) for row in rows))
        return len(rows)

    async def claim(self, limit: int) -> list[ClaimedDelivery]:
        t = self.table
        due = (
            select(t.c.id)
            .where(t.c.status == "pending", t.c.next_attempt_at <= func.now())
            .order_by(t.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        leased_until = func.now() + self.lease
        stmt = (
            update(t)
            .where(t.c.id.in_(due.scalar_subquery()))
            .values(attempts=t.c.attempts + 1, lease_until=leased_until, next_attempt_at=leased_until)
            .returning(
                t.c.id,
                t.c.channel,
                t.c.recipient,
                t.c.payload,
                t.c.idempotency_key,
                t.c.ref_type,
                t.c.ref_id,
                t.c.attempts,
            )
        )
        async with self.sessionmaker() as session, session.begin():
            rows = (await session.execute(stmt)).all()
        return [
            ClaimedDelivery(
                id=r.id,
                channel=r.channel,
                recipient=r.recipient,
                payload=r.payload,
                idempotency_key=r.idempotency_key,
                ref_type=r.ref_type,
                ref_id=r.ref_id,
                attempts=r.attempts,
            )
            for r in rows
        ]

    async def deliver(self, row: ClaimedDelivery) -> None:
        """One attempt at one claimed row; never raises (a lost write-back only delays it)."""
        try:
            await self._deliver(row)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery %s: storing its result failed; it is retried after its lease", row.id)

    async def _deliver(self, row: ClaimedDelivery) -> None:
        provider = self.providers.for_channel(row.channel)
        if self.policy.exhausted(row.attempts):
            # Claimed again and again without an outcome (e.g. the process died each time).
            error = f"gave up after {row.attempts - 1} attempts without an outcome"
            await self._store_final(row, provider.name, "failed", ProviderReceipt(), error)
            return
        try:
            async with asyncio.timeout(self.provider_timeout):
                receipt = await provider.send(row.message())
        except DeliveryRejected as exc:
            await self._store_final(
                row, provider.name, "failed", ProviderReceipt(response=exc.response), str(exc)
            )
            return
        except asyncio.CancelledError:
            # Shutting down mid-call: make the row due at once, the next process resends it.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._reschedule(row, provider.name, timedelta(0), "interrupted"))
            raise
        except Exception as exc:  # unavailable, timed out, or a provider bug: retried
            await self._failed_transiently(row, provider.name, exc, getattr(exc, "retry_after", None))
            return
        await self._store_final(row, provider.name, "sent", receipt, None)

    async def _failed_transiently(
        self, row: ClaimedDelivery, provider: str, exc: BaseException, retry_after: float | None
    ) -> None:
        error = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR]
        delay = self.policy.delay_after(row.attempts, retry_after)
        if delay is None:
            await self._store_final(row, provider, "failed", ProviderReceipt(), error)
            return
        log.warning(
            "delivery %s attempt %s failed, retrying in %.1f s: %s", row.id, row.attempts, delay, error
        )
        if await self._reschedule(row, provider, timedelta(seconds=delay), error):
            self._count(row.channel, "retried")

    async def _reschedule(self, row: ClaimedDelivery, provider: str, delay: timedelta, error: str) -> bool:
        t = self.table
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                update(t)
                .where(*self._ours(row))
                .values(
                    next_attempt_at=func.now() + delay, lease_until=None, provider=provider, last_error=error
                )
                .returning(t.c.id)
            )
            return result.first() is not None

    async def _store_final(
        self,
        row: ClaimedDelivery,
        provider: str,
        status: Literal["sent", "failed"],
        receipt: ProviderReceipt,
        error: str | None,
    ) -> None:
        try:
            stored = await self._write_final(row, provider, status, receipt, error)
        except Exception as exc:
            # Most likely the service's on_outcome handler: neither is stored; send again later,
            # the provider answers the repeated key with its first answer.
            delay = self.policy.delay_after(row.attempts) or self.policy.delay_after(0) or 0.0
            await self._reschedule(
                row, provider, timedelta(seconds=delay), f"storing the outcome failed: {exc}"[:_MAX_ERROR]
            )
            log.warning("delivery %s: storing its %s outcome failed: %s", row.id, status, exc)
            return
        if stored:
            self._count(row.channel, status)
            log.info("delivery %s %s via %s after %s attempt(s)", row.id, status, provider, row.attempts)
        else:
            log.warning("delivery %s: a newer claim took it over; this outcome is dropped", row.id)

    async def _write_final(
        self,
        row: ClaimedDelivery,
        provider: str,
        status: Literal["sent", "failed"],
        receipt: ProviderReceipt,
        error: str | None,
    ) -> bool:
        t = self.table
        at = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                update(t)
                .where(*self._ours(row))
                .values(
                    status=status,
                    provider=provider,
                    outcome={"reference": receipt.reference, "response": dict(receipt.response)},
                    last_error=error,
                    lease_until=None,
                    sent_at=at if status == "sent" else None,
                )
                .returning(t.c.id)
            )
            if result.first() is None:
                return False
            handler = self.on_outcome.get(row.ref_type) if row.ref_type else None
            if handler is not None:
                await handler(
                    session,
                    DeliveryOutcome(
                        delivery_id=row.id,
                        channel=row.channel,
                        recipient=row.recipient,
                        idempotency_key=row.idempotency_key,
                        ref_type=row.ref_type,
                        ref_id=row.ref_id,
                        status=status,
                        provider=provider,
                        attempts=row.attempts,
                        at=at,
                        reference=receipt.reference,
                        response=receipt.response,
                        error=error,
                    ),
                )
            return True

    def _ours(self, row: ClaimedDelivery) -> tuple[Any, ...]:
        t = self.table
        return (t.c.id == row.id, t.c.status == "pending", t.c.attempts == row.attempts)

    def _count(self, channel: str, outcome: str) -> None:
        if self.on_result is not None:
            self.on_result(channel, outcome)

    async def pending_count(self) -> int:
        t = self.table
        async with self.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).where(t.c.status == "pending")) or 0)
