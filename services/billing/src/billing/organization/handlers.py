"""Keeps the organization projection current from scheduling's `organization.upserted`."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler
from clinic_common.events.payloads.scheduling import OrganizationUpserted
from clinic_common.events.projection import mirror

from billing.organization.models import OrganizationProjection

HANDLERS: dict[str, Handler] = {
    type_of(OrganizationUpserted): mirror(OrganizationProjection, OrganizationUpserted)
}
