"""A booking made on a referral uses it (REC-11): scheduling names the referral in
`appointment.booked`; records marks it used and announces `referral.used`, so scheduling and
billing stop offering it. A referral already used by another booking stays with the first."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.home_visits import HomeVisitCompleted
from clinic_common.events.payloads.records import ReferralUsed
from clinic_common.events.payloads.scheduling import AppointmentBooked

from records.audit.repository import AuditRepository
from records.card.models import CardEntry
from records.card.repository import CardRepository
from records.db import outbox
from records.patient.models import Patient

log = logging.getLogger(__name__)


async def on_booked(ctx: HandlerContext) -> None:
    d = ctx.data(AppointmentBooked)
    if d.referral_id is None:
        return
    referral = await CardRepository(ctx.session).referral(d.referral_id, for_update=True)
    if referral is None or referral.patient_id != d.patient_id:
        log.warning(
            "booking %s names referral %s records does not hold for the patient",
            d.appointment_id,
            d.referral_id,
        )
        return
    if referral.status == "used":
        if referral.used_by_appointment_id != d.appointment_id:
            log.warning("referral %s already used by %s", referral.id, referral.used_by_appointment_id)
        return
    referral.status, referral.used_by_appointment_id, referral.used_at = "used", d.appointment_id, ctx.now
    await outbox.add(
        ctx.session,
        type=type_of(ReferralUsed),
        aggregate_id=referral.id,
        org_id=referral.organization_id,
        now=ctx.now,
        data=ReferralUsed(
            referral_id=referral.id, patient_id=referral.patient_id, appointment_id=d.appointment_id
        ),
    )


async def on_home_visit_completed(ctx: HandlerContext) -> None:
    """REC-8: the home visit is an encounter of the card, written by the home-care doctor's visit
    (the doctor adds findings as amendments); audited like any change of medical data."""
    d = ctx.data(HomeVisitCompleted)
    if await ctx.session.get(Patient, d.patient_id) is None:
        return
    entry_id = uuid.uuid5(d.home_visit_id, "home-encounter")
    inserted = await ctx.session.execute(
        pg_insert(CardEntry)
        .values(
            id=entry_id,
            organization_id=d.organization_id,
            patient_id=d.patient_id,
            kind="encounter",
            amends_id=None,
            icd10=None,
            text="Home visit made",
            data={
                "home_visit_id": str(d.home_visit_id),
                "service_code": d.service_code,
                "visit_kind": d.kind,
            },
            author_subject=f"home_visits:{d.practitioner_id}",
            author_role="home_doctor",
            author_staff_id=d.practitioner_id,
            recorded_at=d.completed_at or ctx.now,
        )
        .on_conflict_do_nothing()
        .returning(CardEntry.id)
    )
    if inserted.first() is not None:
        await AuditRepository(ctx.session).insert(
            [
                {
                    "at": ctx.now,
                    "organization_id": d.organization_id,
                    "patient_id": d.patient_id,
                    "entry_id": entry_id,
                    "resource": "entry",
                    "action": "create",
                    "purpose": "care",
                    "actor_subject": f"home_visits:{d.practitioner_id}",
                    "actor_roles": ["home_doctor"],
                    "actor_staff_id": d.practitioner_id,
                    "actor_person_id": None,
                    "break_glass_id": None,
                }
            ]
        )


HANDLERS: dict[str, list[Handler]] = {
    type_of(AppointmentBooked): [on_booked],
    type_of(HomeVisitCompleted): [on_home_visit_completed],
}
