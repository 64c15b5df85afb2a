"""create_app() of the scheduling service."""

from __future__ import annotations

from fastapi import FastAPI

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.background import Periodic
from clinic_common.clock import Clock

from scheduling.absence.router import router as absence_router
from scheduling.appointment.router import router as appointment_router
from scheduling.arrival.router import router as arrival_router
from scheduling.arrival.service import sweep_no_shows
from scheduling.attending.router import router as attending_router
from scheduling.catalog.handlers import HANDLERS as CATALOG_HANDLERS
from scheduling.config import Settings, get_settings
from scheduling.db import platform
from scheduling.organization.router import router as organization_router
from scheduling.patient.handlers import HANDLERS as PATIENT_HANDLERS
from scheduling.practitioner.router import router as practitioner_router
from scheduling.queue.display import router as display_router
from scheduling.queue.router import router as queue_router
from scheduling.schedule.router import router as slot_router
from scheduling.standing.handlers import HANDLERS as STANDING_HANDLERS


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_service_app(
        ServiceSpec(
            name="scheduling",
            title="Clinic scheduling",
            description=(
                "Organizations, practitioners, shifts, free slots, booking, check-in, the electronic "
                "queue and its hall display, the patient's attending practitioner."
            ),
            settings=settings,
            platform=platform,
            routers=[
                organization_router,
                practitioner_router,
                absence_router,
                slot_router,
                appointment_router,
                arrival_router,
                queue_router,
                display_router,
                attending_router,
            ],
            handlers={**PATIENT_HANDLERS, **CATALOG_HANDLERS, **STANDING_HANDLERS},
            periodic=[NOSHOW_SWEEP],
        ),
        clock=clock,
    )
    return app


async def noshow_tick(app: FastAPI) -> None:
    """SCH-7: mark the no-shows as of the business clock's now."""
    async with app.state.db.sessionmaker() as session, session.begin():
        await sweep_no_shows(session, app.state.outbox, app.state.clock.now())


NOSHOW_SWEEP = Periodic("noshow-sweep", lambda settings: settings.noshow_sweep_seconds, noshow_tick)  # type: ignore[attr-defined]
