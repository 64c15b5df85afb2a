"""A booking made on a referral uses it (REC-11): scheduling names the referral in
`appointment.booked`; records marks it used and announces `referral.used`, so scheduling and
billing stop offering it. A referral already used by another booking stays with the first."""

from __future__ import annotations

import logging

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.records import ReferralUsed
from clinic_common.events.payloads.scheduling import AppointmentBooked

from records.card.repository import CardRepository
from records.db import outbox

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


HANDLERS: dict[str, list[Handler]] = {type_of(AppointmentBooked): [on_booked]}
