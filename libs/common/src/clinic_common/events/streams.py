"""Stream and consumer provisioning: one stream per producing service, one durable per consumer.

Only the producer creates or updates its stream (`ensure_stream`, called by the producing
service); a consumer waits for the stream to exist (`wait_for_stream`) and then declares its own
durable consumer on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

log = logging.getLogger(__name__)

PRODUCERS = ("scheduling", "billing", "records", "home_visits")
DUPLICATE_WINDOW_SECONDS = 120.0


def stream_name(producer: str) -> str:
    return producer.replace("-", "_").upper()


def stream_subjects(producer: str) -> list[str]:
    return [f"clinic.{producer.replace('-', '_')}.>"]


async def ensure_stream(js: JetStreamContext, producer: str, *, replicas: int = 1) -> None:
    """Create or update the producer's stream; called by the producing service only."""
    config = StreamConfig(
        name=stream_name(producer),
        subjects=stream_subjects(producer),
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )
    try:
        await js.stream_info(config.name)  # type: ignore[arg-type]
        await js.update_stream(config)
    except NotFoundError:
        await js.add_stream(config)


async def wait_for_stream(js: JetStreamContext, producer: str, *, interval: float = 1.0) -> None:
    """Return once the producer has created its stream; never creates it."""
    name = stream_name(producer)
    warned = False
    while True:
        try:
            await js.stream_info(name)
            return
        except NotFoundError:
            if not warned:
                log.info("waiting for stream %s (its producer creates it)", name)
                warned = True
            await asyncio.sleep(interval)


async def ensure_consumer(
    js: JetStreamContext,
    *,
    producer: str,
    durable: str,
    filter_subjects: Sequence[str],
    ack_wait: float,
    max_ack_pending: int = 1000,
) -> None:
    """Durable pull consumer with explicit ack, no server-side back-off and no delivery limit.

    JetStream would replace AckWait with the first BackOff entry, so the server gets none: AckWait
    stays how long it waits on a silent consumer (one that died), the consumer calls
    `in_progress()` while a handler runs, and applies its back-off itself when it naks a failure.
    The server never gives up on a message (max_deliver -1): only the consumer parks an event,
    after committing its dead-letter row.
    """
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=-1,
        ack_wait=ack_wait,
        backoff=[],
        filter_subjects=list(filter_subjects),
        max_ack_pending=max_ack_pending,
    )
    await js.add_consumer(stream_name(producer), config)
