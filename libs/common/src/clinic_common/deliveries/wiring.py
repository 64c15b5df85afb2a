"""Building a service's delivery worker from its settings (used by `create_service_app`)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clinic_common.clock import Clock
from clinic_common.db.platform import PlatformTables
from clinic_common.deliveries.policy import RetryPolicy
from clinic_common.deliveries.ports import DeliveryProvider, OutcomeHandler
from clinic_common.deliveries.providers import Providers
from clinic_common.deliveries.worker import DeliveryWorker
from clinic_common.observability import Metrics
from clinic_common.settings import ServiceSettings


def delivery_worker(
    settings: ServiceSettings,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    platform: PlatformTables,
    clock: Clock,
    metrics: Metrics,
    providers: Mapping[str, DeliveryProvider] | None = None,
    on_outcome: Mapping[str, OutcomeHandler] | None = None,
) -> DeliveryWorker:
    return DeliveryWorker(
        sessionmaker=sessionmaker,
        platform=platform,
        providers=Providers(
            providers,
            http_urls=settings.delivery_http_urls,
            timeout=settings.delivery_provider_timeout_seconds,
        ),
        clock=clock,
        on_outcome=on_outcome,
        policy=RetryPolicy(
            max_attempts=settings.delivery_max_attempts,
            backoff_seconds=tuple(settings.delivery_backoff_seconds),
        ),
        lease_seconds=settings.delivery_lease_seconds,
        provider_timeout=settings.delivery_provider_timeout_seconds,
        poll_seconds=settings.delivery_poll_seconds,
        batch_size=settings.delivery_batch_size,
        on_result=metrics.delivery_result,
        on_pending=metrics.set_deliveries_pending,
    )
