"""The durable pull consumer: inbox de-duplication, retries with back-off, dead-letter parking.

Each message is handled in one transaction that also inserts the event id into the inbox, then
acknowledged. A redelivered event already in the inbox is acknowledged without effect.

What counts as an attempt. JetStream's `num_delivered` also grows when a consumer died, when NATS
restarted, or when the ack deadline passed, so it is not the number of times the handler failed.
The consumer counts real failures itself, in `event_failures` (in its own database, committed
after the handler's transaction rolled back), and parks the event on the `max_deliver`-th one:
- a slow handler is kept alive with `in_progress()` (every third of `ack_wait`, for every
  message of the batch not yet settled), so it is not redelivered;
- while the service's own PostgreSQL is away, the message is held (still `in_progress()`), the
  database is probed with back-off, nothing is fetched, and the failure counts for nothing;
- a message delivered `max_deliver * 3` times without ever settling (its handler keeps killing
  the process) is parked too, so a poison event cannot loop forever.
An event is terminated only after its dead-letter row is committed; JetStream itself never gives
up on a message (the durable has no delivery limit).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID, uuid4

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clinic_common.clock import Clock
from clinic_common.context import causation_id_var, correlation_id_var
from clinic_common.db.platform import PlatformTables
from clinic_common.events.envelope import EventEnvelope
from clinic_common.events.outages import DatabaseGate
from clinic_common.events.streams import ensure_consumer, stream_name, wait_for_stream
from clinic_common.observability import consumer_span

log = logging.getLogger(__name__)

P = TypeVar("P", bound=BaseModel)

# Deliveries without a settled outcome, per allowed failure, before a message is parked anyway.
UNSETTLED_DELIVERIES_PER_ATTEMPT = 3


@dataclass
class HandlerContext:
    """What a handler gets: the event, its transaction and the business clock.

    Side effects outside the database (an SMS) are written as delivery rows in `session`; a worker
    sends them after the commit (`clinic_common.deliveries`), so a crash cannot lose them.
    """

    session: AsyncSession
    envelope: EventEnvelope
    now: datetime

    def data(self, model: type[P]) -> P:
        return model.model_validate(self.envelope.data)


Handler = Callable[[HandlerContext], Awaitable[None]]


class EventProcessor:
    """Runs handlers exactly once per event id; shared by the consumer and dead-letter replay."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        platform: PlatformTables,
        handlers: Mapping[str, Handler],
        clock: Clock,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.platform = platform
        self.handlers = handlers
        self.clock = clock
        self.database = DatabaseGate(sessionmaker)

    async def process(self, envelope: EventEnvelope, *, failed_before: bool = True) -> bool:
        """Handle the event in one transaction with its inbox row; False if it was a duplicate."""
        handler = self.handlers.get(envelope.type)
        correlation = correlation_id_var.set(envelope.correlationid or str(envelope.id))
        causation = causation_id_var.set(str(envelope.id))
        try:
            async with self.sessionmaker() as session, session.begin():
                inserted = await session.execute(
                    pg_insert(self.platform.inbox)
                    .values(event_id=envelope.id, type=envelope.type, source=envelope.source)
                    .on_conflict_do_nothing()
                    .returning(self.platform.inbox.c.event_id)
                )
                if inserted.first() is None:
                    return False
                if handler is not None:
                    await handler(HandlerContext(session=session, envelope=envelope, now=self.clock.now()))
                if failed_before:  # handled at last: its failure count goes with the same commit
                    failures = self.platform.event_failures
                    await session.execute(delete(failures).where(failures.c.event_id == envelope.id))
        finally:
            correlation_id_var.reset(correlation)
            causation_id_var.reset(causation)
        return True

    async def record_failure(self, envelope: EventEnvelope, error: str) -> int:
        """Count one real failure of the event's handler; returns how many there were."""
        t = self.platform.event_failures
        values = pg_insert(t).values(event_id=envelope.id, type=envelope.type, failures=1, last_error=error)
        stmt = values.on_conflict_do_update(
            index_elements=[t.c.event_id],
            set_={
                "failures": t.c.failures + 1,
                "last_error": values.excluded.last_error,
                "last_failed_at": func.now(),
            },
        ).returning(t.c.failures)
        async with self.sessionmaker() as session, session.begin():
            return int((await session.execute(stmt)).scalar_one())

    async def park(
        self,
        *,
        event_id: UUID | None,
        type_: str | None,
        stream: str,
        subject: str,
        payload: str,
        headers: Mapping[str, str],
        error: str,
        attempts: int,
    ) -> None:
        """Commit the dead-letter row (and drop the failure count) in one transaction."""
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                insert(self.platform.dead_letters).values(
                    id=uuid4(),
                    event_id=event_id,
                    stream=stream,
                    subject=subject,
                    type=type_,
                    payload=payload,
                    headers=json.loads(json.dumps(dict(headers))),
                    error=error[:4000],
                    attempts=attempts,
                )
            )
            if event_id is not None:
                failures = self.platform.event_failures
                await session.execute(delete(failures).where(failures.c.event_id == event_id))
        log.error("event parked", extra={"event_id": str(event_id) if event_id else None, "error": error})


class EventConsumer:
    """One durable pull consumer of one producer's stream."""

    def __init__(
        self,
        *,
        service: str,
        producer: str,
        processor: EventProcessor,
        js: Callable[[], Awaitable[JetStreamContext]],
        max_deliver: int = 5,
        backoff: Sequence[float] = (1.0, 5.0, 30.0, 120.0),
        ack_wait: float = 30.0,
        batch: int = 20,
        fetch_timeout: float = 2.0,
        stream_wait_interval: float = 1.0,
        on_consumed: Callable[[str, str], None] | None = None,
        on_redelivered: Callable[[str], None] | None = None,
    ) -> None:
        self.service = service
        self.producer = producer
        self.processor = processor
        self._js = js
        self.durable = service.replace("-", "_")
        self.stream = stream_name(producer)
        self.max_deliver = max(1, max_deliver)
        self.backoff = list(backoff)
        self.ack_wait = ack_wait
        self.batch = batch
        self.fetch_timeout = fetch_timeout
        self.stream_wait_interval = stream_wait_interval
        self.on_consumed = on_consumed
        self.on_redelivered = on_redelivered
        self.ready = asyncio.Event()
        self.redeliveries = 0
        self.parked = 0

    @property
    def database(self) -> DatabaseGate:
        return self.processor.database

    @property
    def filter_subjects(self) -> list[str]:
        return sorted(t for t in self.processor.handlers if t.split(".")[1] == self.producer)

    @property
    def heartbeat_interval(self) -> float:
        return max(0.05, self.ack_wait / 3)

    async def provision(self, js: JetStreamContext) -> None:
        """Wait for the producer's stream (never create it), then declare our durable on it."""
        await wait_for_stream(js, self.producer, interval=self.stream_wait_interval)
        await ensure_consumer(
            js,
            producer=self.producer,
            durable=self.durable,
            filter_subjects=self.filter_subjects,
            ack_wait=self.ack_wait,
        )

    async def run(self) -> None:
        while True:
            try:
                js = await self._js()
                await self.provision(js)
                sub = await js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
                self.ready.set()
                while True:
                    await self.database.wait_until_up()  # fetch nothing while our database is away
                    try:
                        msgs = await sub.fetch(self.batch, timeout=self.fetch_timeout)
                    except TimeoutError:
                        continue
                    await self.handle_batch(msgs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.ready.clear()
                log.warning("consumer %s on %s failed: %s; restarting", self.durable, self.stream, exc)
                await asyncio.sleep(1.0)

    async def handle_batch(self, msgs: Sequence[Msg]) -> None:
        """Handle messages in order while a heartbeat keeps every unsettled one of them alive."""
        unsettled = list(msgs)
        beat = asyncio.create_task(self._heartbeat(unsettled))
        try:
            for msg in msgs:
                await self.handle(msg)
                unsettled.remove(msg)
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)  # a cancel of ours still propagates

    async def _heartbeat(self, unsettled: list[Msg]) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            for msg in list(unsettled):
                try:
                    await msg.in_progress()
                except Exception as exc:  # NATS away: the message may come back; the inbox copes
                    log.debug("in_progress failed: %s", exc)

    async def handle(self, msg: Msg) -> None:
        delivered = msg.metadata.num_delivered or 1
        if delivered > 1:
            self.redeliveries += 1
            if self.on_redelivered:
                self.on_redelivered(msg.subject)  # the subject is the event type
        try:
            envelope = EventEnvelope.model_validate_json(msg.data)
        except ValidationError as exc:
            # A malformed event will never succeed: park it at once.
            await self._park(msg, None, f"malformed envelope: {exc}", delivered)
            return
        if delivered > self.max_deliver * UNSETTLED_DELIVERIES_PER_ATTEMPT:
            error = f"delivered {delivered} times without settling (its handler keeps killing the consumer)"
            await self._park(msg, envelope, error, delivered)
            return
        while True:
            try:
                with consumer_span(envelope.type, dict(msg.headers or {})):
                    fresh = await self.processor.process(envelope, failed_before=delivered > 1)
            except Exception as exc:
                if await self.database.is_outage():
                    await self.database.wait_until_up()  # held: the heartbeat keeps it ours
                    continue
                if await self._failed(msg, envelope, exc):
                    continue
                return
            await _settle(msg.ack)
            self._count(envelope.type, "processed" if fresh else "duplicate")
            return

    async def _failed(self, msg: Msg, envelope: EventEnvelope, exc: Exception) -> bool:
        """Count a real failure; nak with back-off or park. True means: try the message again."""
        try:
            failures = await self.processor.record_failure(envelope, repr(exc)[:4000])
        except Exception:
            if await self.database.is_outage():
                await self.database.wait_until_up()
                return True
            raise
        log.warning("handler of %s failed (failure %d): %s", envelope.type, failures, exc)
        if failures >= self.max_deliver:  # the last attempt: park, never drop
            await self._park(msg, envelope, repr(exc), failures)
            return False
        delay = self.backoff[min(failures - 1, len(self.backoff) - 1)] if self.backoff else 0
        await _settle(lambda: msg.nak(delay=delay or None))
        self._count(envelope.type, "retry")
        return False

    async def _park(self, msg: Msg, envelope: EventEnvelope | None, error: str, attempts: int) -> None:
        """Commit the dead-letter row, then terminate; while the database is away, hold and wait."""
        while True:
            try:
                await self.processor.park(
                    event_id=envelope.id if envelope else None,
                    type_=envelope.type if envelope else None,
                    stream=self.stream,
                    subject=msg.subject,
                    payload=msg.data.decode(errors="replace"),
                    headers={str(k): str(v) for k, v in (msg.headers or {}).items()},
                    error=error,
                    attempts=attempts,
                )
                break
            except Exception:
                if not await self.database.is_outage():
                    raise  # not terminated: JetStream redelivers it after ack_wait
                await self.database.wait_until_up()
        await _settle(msg.term)
        self.parked += 1
        self._count(envelope.type if envelope else msg.subject, "dead_letter")

    def _count(self, type_: str, outcome: str) -> None:
        if self.on_consumed:
            self.on_consumed(type_, outcome)


async def _settle(action: Callable[[], Awaitable[None]]) -> None:
    """Ack/nak/term; if NATS is away the message comes back later and the inbox drops it."""
    try:
        await action()
    except Exception as exc:
        log.warning("could not settle a message: %s", exc)
