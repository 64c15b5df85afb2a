"""create_app() of the home-visits service."""

from __future__ import annotations

from fastapi import FastAPI

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.clock import Clock

from home_visits.config import Settings, get_settings
from home_visits.db import platform
from home_visits.organization.handlers import HANDLERS as ORGANIZATION_HANDLERS
from home_visits.patient.handlers import HANDLERS as PATIENT_HANDLERS
from home_visits.practitioner.handlers import HANDLERS as PRACTITIONER_HANDLERS
from home_visits.zone.router import router as zone_router


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            name="home_visits",
            title="Clinic home visits",
            description="Home-visit requests, service zones and distance bands, dispatch and routes.",
            settings=settings or get_settings(),
            platform=platform,
            routers=[zone_router],
            handlers={**ORGANIZATION_HANDLERS, **PRACTITIONER_HANDLERS, **PATIENT_HANDLERS},
        ),
        clock=clock,
    )
