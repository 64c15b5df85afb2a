"""The durable pull consumer: inbox de-duplication, retries with back-off, dead-letter parking.

Each message is handled in one transaction that also inserts the event id into the inbox, then
acknowledged. A redelivered event already in the inbox is acknowledged without effect. A handler
that keeps failing is parked in `dead_letters` after the last attempt and terminated, never
silently dropped; an operator lists and replays it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from uuid import uuid4

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import BaseModel, ValidationError
from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clinic_common.clock import Clock
from clinic_common.context import causation_id_var, correlation_id_var
from clinic_common.db.platform import PlatformTables
from clinic_common.events.envelope import EventEnvelope
from clinic_common.events.streams import ensure_consumer, ensure_stream, stream_name
from clinic_common.observability import consumer_span

log = logging.getLogger(__name__)

P = TypeVar("P", bound=BaseModel)


@dataclass
class HandlerContext:
    """What a handler gets: the event, its transaction, the business clock, post-commit effects."""

    session: AsyncSession
    envelope: EventEnvelope
    now: datetime
    post_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def data(self, model: type[P]) -> P:
        return model.model_validate(self.envelope.data)

    def after_commit(self, effect: Callable[[], Awaitable[None]]) -> None:
        """Side effects outside the database (an SMS) run only once the inbox row is committed."""
        self.post_commit.append(effect)


Handler = Callable[[HandlerContext], Awaitable[None]]
AfterCommitHook = Callable[[Msg], Awaitable[None]]


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

    async def process(self, envelope: EventEnvelope) -> bool:
        """Handle the event in one transaction with its inbox row; False if it was a duplicate."""
        handler = self.handlers.get(envelope.type)
        post_commit: list[Callable[[], Awaitable[None]]] = []
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
                    ctx = HandlerContext(session=session, envelope=envelope, now=self.clock.now())
                    await handler(ctx)
                    post_commit = ctx.post_commit
        finally:
            correlation_id_var.reset(correlation)
            causation_id_var.reset(causation)
        for effect in post_commit:
            try:
                await effect()
            except Exception:
                log.exception("post-commit effect failed", extra={"event_id": str(envelope.id)})
        return True


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
        stream_replicas: int = 1,
        after_commit_hook: AfterCommitHook | None = None,
        on_consumed: Callable[[str, str], None] | None = None,
    ) -> None:
        self.service = service
        self.producer = producer
        self.processor = processor
        self._js = js
        self.durable = service.replace("-", "_")
        self.stream = stream_name(producer)
        self.max_deliver = max_deliver
        self.backoff = list(backoff)
        self.ack_wait = ack_wait
        self.batch = batch
        self.fetch_timeout = fetch_timeout
        self.stream_replicas = stream_replicas
        self.after_commit_hook = after_commit_hook  # test seam: simulate a crash before the ack
        self.on_consumed = on_consumed
        self.ready = asyncio.Event()

    @property
    def filter_subjects(self) -> list[str]:
        return sorted(t for t in self.processor.handlers if t.split(".")[1] == self.producer)

    async def provision(self, js: JetStreamContext) -> None:
        await ensure_stream(js, self.producer, replicas=self.stream_replicas)
        await ensure_consumer(
            js,
            producer=self.producer,
            durable=self.durable,
            filter_subjects=self.filter_subjects,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait,
            backoff=self.backoff,
        )

    async def run(self) -> None:
        while True:
            try:
                js = await self._js()
                await self.provision(js)
                sub = await js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
                self.ready.set()
                while True:
                    try:
                        msgs = await sub.fetch(self.batch, timeout=self.fetch_timeout)
                    except TimeoutError:
                        continue
                    for msg in msgs:
                        await self.handle(msg)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s on %s failed: %s; restarting", self.durable, self.stream, exc)
                await asyncio.sleep(1.0)

    async def handle(self, msg: Msg) -> None:
        attempts = msg.metadata.num_delivered or 1
        try:
            envelope = EventEnvelope.model_validate_json(msg.data)
        except ValidationError as exc:
            # A malformed event will never succeed: park it at once.
            await self._park(msg, None, f"malformed envelope: {exc}", attempts)
            await msg.term()
            return
        try:
            with consumer_span(envelope.type, dict(msg.headers or {})):
                fresh = await self.processor.process(envelope)
        except Exception as exc:
            log.warning("handler of %s failed (attempt %d): %s", envelope.type, attempts, exc)
            if attempts >= self.max_deliver:  # the last attempt: park, never drop
                await self._park(msg, envelope, repr(exc), attempts)
                await msg.term()
                self._count(envelope.type, "dead_letter")
            else:
                await msg.nak(
                    delay=self.backoff[min(attempts - 1, len(self.backoff) - 1)] if self.backoff else None
                )
                self._count(envelope.type, "retry")
            return
        if self.after_commit_hook is not None:
            await self.after_commit_hook(msg)
        await msg.ack()
        self._count(envelope.type, "processed" if fresh else "duplicate")

    def _count(self, type_: str, outcome: str) -> None:
        if self.on_consumed:
            self.on_consumed(type_, outcome)

    async def _park(self, msg: Msg, envelope: EventEnvelope | None, error: str, attempts: int) -> None:
        headers = dict(msg.headers or {})
        async with self.processor.sessionmaker() as session, session.begin():
            await session.execute(
                insert(self.processor.platform.dead_letters).values(
                    id=uuid4(),
                    event_id=envelope.id if envelope else None,
                    stream=self.stream,
                    subject=msg.subject,
                    type=envelope.type if envelope else None,
                    payload=msg.data.decode(errors="replace"),
                    headers=json.loads(json.dumps(headers)),
                    error=error[:4000],
                    attempts=attempts,
                )
            )
        log.error("event parked", extra={"event_id": str(envelope.id) if envelope else None, "error": error})
