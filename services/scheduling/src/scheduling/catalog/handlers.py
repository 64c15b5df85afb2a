"""Learns the service catalogue from billing's `service.upserted`."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler
from clinic_common.events.payloads.billing import ServiceUpserted
from clinic_common.events.projection import mirror

from scheduling.catalog.models import ServiceProjection

HANDLERS: dict[str, Handler] = {type_of(ServiceUpserted): mirror(ServiceProjection, ServiceUpserted)}
