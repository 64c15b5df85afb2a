"""create_app() of the records service."""

from __future__ import annotations

from fastapi import FastAPI

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.clock import Clock

from records.audit.router import router as audit_router
from records.cabinet.router import router as cabinet_router
from records.card.router import router as card_router
from records.complaint.router import router as complaint_router
from records.conduct.router import router as conduct_router
from records.config import Settings, get_settings
from records.consent.router import router as consent_router
from records.db import platform
from records.document.router import router as document_router
from records.handlers import HANDLERS
from records.link.router import router as link_router
from records.notification.reminders import REMINDERS
from records.notification.router import router as notification_router
from records.notification.service import OUTCOME_REF, store_outcome
from records.offer.router import router as offer_router
from records.patient.router import router as patient_router


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_service_app(
        ServiceSpec(
            name="records",
            title="Clinic records",
            description="Patients, consents, the medical card, documents, cabinet access, notifications.",
            settings=settings,
            platform=platform,
            routers=[
                patient_router,
                link_router,
                consent_router,
                card_router,
                audit_router,
                cabinet_router,
                offer_router,
                document_router,
                complaint_router,
                conduct_router,
                notification_router,
            ],
            handlers=HANDLERS,
            delivery_outcomes={OUTCOME_REF: store_outcome},
            cabinet_owner=True,  # REC-19: records writes cabinet_access itself (records.cabinet)
            periodic=[REMINDERS],
        ),
        clock=clock,
    )
    return app
