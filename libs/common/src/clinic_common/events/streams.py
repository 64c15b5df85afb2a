"""Stream and consumer provisioning: one stream per producing service, one durable per consumer."""

from __future__ import annotations

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
    """Create or update the producer's stream; safe to call from every process."""
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


async def ensure_consumer(
    js: JetStreamContext,
    *,
    producer: str,
    durable: str,
    filter_subjects: Sequence[str],
    max_deliver: int,
    ack_wait: float,
    backoff: Sequence[float],
) -> None:
    """Durable pull consumer with explicit ack; redelivery after a crash follows `backoff`.

    The consumer parks an event itself on its `max_deliver`-th failure; JetStream allows two
    deliveries more, so an event whose last attempt died mid-handling (no nak, no term) is still
    delivered once more and parked rather than silently dropped by the server.
    """
    server_max_deliver = max_deliver + 2
    # NATS requires max_deliver > len(backoff); trim the schedule rather than fail.
    schedule = list(backoff)[: max(0, server_max_deliver - 1)]
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=server_max_deliver,
        ack_wait=ack_wait if not schedule else None,
        backoff=schedule or None,
        filter_subjects=list(filter_subjects),
        max_ack_pending=1000,
    )
    await js.add_consumer(stream_name(producer), config)
