"""create_app() of the billing service."""

from __future__ import annotations

from fastapi import FastAPI

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.clock import Clock

from billing.config import Settings, get_settings
from billing.db import platform
from billing.organization.handlers import HANDLERS as ORGANIZATION_HANDLERS
from billing.patient.handlers import HANDLERS as PATIENT_HANDLERS
from billing.pricelist.router import router as price_list_router


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            name="billing",
            title="Clinic billing",
            description=(
                "Price lists, invoices, payments, refunds, the ledger, programs, the partner-insurer API."
            ),
            settings=settings or get_settings(),
            platform=platform,
            routers=[price_list_router],
            handlers={**ORGANIZATION_HANDLERS, **PATIENT_HANDLERS},
        ),
        clock=clock,
    )
