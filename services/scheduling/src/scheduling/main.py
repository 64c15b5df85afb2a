"""create_app() of the scheduling service."""

from __future__ import annotations

from fastapi import FastAPI

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.clock import Clock

from scheduling.appointment.router import router as appointment_router
from scheduling.catalog.handlers import HANDLERS as CATALOG_HANDLERS
from scheduling.config import Settings, get_settings
from scheduling.db import platform
from scheduling.organization.router import router as organization_router
from scheduling.patient.handlers import HANDLERS as PATIENT_HANDLERS
from scheduling.practitioner.router import router as practitioner_router


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            name="scheduling",
            title="Clinic scheduling",
            description=(
                "Organizations, practitioners, shifts, slots, booking, check-in, the electronic queue."
            ),
            settings=settings or get_settings(),
            platform=platform,
            routers=[organization_router, practitioner_router, appointment_router],
            handlers={**PATIENT_HANDLERS, **CATALOG_HANDLERS},
        ),
        clock=clock,
    )
