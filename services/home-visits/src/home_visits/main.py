"""create_app() of the home-visits service."""

from __future__ import annotations

from fastapi import FastAPI

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.clock import Clock

from home_visits.attending.handlers import HANDLERS as ATTENDING_HANDLERS
from home_visits.config import Settings, get_settings
from home_visits.db import platform
from home_visits.deterioration.router import router as deterioration_router
from home_visits.deterioration.sweep import SWEEP as DETERIORATION_SWEEP
from home_visits.dispatch.router import router as dispatch_router
from home_visits.enrollment.handlers import HANDLERS as ENROLLMENT_HANDLERS
from home_visits.organization.handlers import HANDLERS as ORGANIZATION_HANDLERS
from home_visits.patient.handlers import HANDLERS as PATIENT_HANDLERS
from home_visits.practitioner.handlers import HANDLERS as PRACTITIONER_HANDLERS
from home_visits.program_address.router import router as program_address_router
from home_visits.visit.coverage import BillingCoverage
from home_visits.visit.router import router as visit_router
from home_visits.zone.router import router as zone_router


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_service_app(
        ServiceSpec(
            name="home_visits",
            title="Clinic home visits",
            description="Home-visit requests, service zones and distance bands, dispatch and routes, "
            "outcomes, program home-care addresses, deterioration reports.",
            settings=settings,
            platform=platform,
            routers=[
                zone_router,
                visit_router,
                dispatch_router,
                program_address_router,
                deterioration_router,
            ],
            handlers={
                **ORGANIZATION_HANDLERS,
                **PRACTITIONER_HANDLERS,
                **PATIENT_HANDLERS,
                **ENROLLMENT_HANDLERS,
                **ATTENDING_HANDLERS,
            },
            periodic=[DETERIORATION_SWEEP],
        ),
        clock=clock,
    )
    app.state.billing_coverage = BillingCoverage(settings.billing_url, settings.billing_timeout_seconds)
    return app
