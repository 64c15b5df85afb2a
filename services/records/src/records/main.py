"""create_app() of the records service."""

from __future__ import annotations

from fastapi import FastAPI

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.clock import Clock

from records.config import Settings, get_settings
from records.db import platform
from records.organization.handlers import HANDLERS as ORGANIZATION_HANDLERS
from records.patient.router import router as patient_router


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return create_service_app(
        ServiceSpec(
            name="records",
            title="Clinic records",
            description="Patients, consents, the medical card, documents, cabinet access, notifications.",
            settings=settings or get_settings(),
            platform=platform,
            routers=[patient_router],
            handlers={**ORGANIZATION_HANDLERS},
            cabinet_owner=True,  # REC-19: records writes `cabinet_access` itself
        ),
        clock=clock,
    )
