"""Learns what booking rules need from records and billing (architecture.md, Who owns what)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import Table, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.billing import (
    DebtOpened,
    DebtSettled,
    EnrollmentCreated,
    EnrollmentEnded,
    EnrollmentSuspended,
    PaymentCaptured,
    PaymentRefunded,
    _EnrollmentData,
)
from clinic_common.events.payloads.records import PatientServiceRefused, ReferralIssued, ReferralUsed
from clinic_common.events.projection import mirror, upsert_projection

from scheduling.standing.models import (
    AppointmentPayment,
    DebtProjection,
    EnrollmentProjection,
    ReferralProjection,
    ServiceRefusalProjection,
)


async def referral_used(ctx: HandlerContext) -> None:
    """REC-11: records says a booking consumed the referral (ours, or made elsewhere)."""
    data = ctx.data(ReferralUsed)
    await ctx.session.execute(
        update(ReferralProjection)
        .where(ReferralProjection.id == data.referral_id)
        .values(used=True, used_by=func.coalesce(ReferralProjection.used_by, data.appointment_id))
    )


async def service_refused(ctx: HandlerContext) -> None:
    """REC-22, SCH-13: the organization refused further service to the patient."""
    data = ctx.data(PatientServiceRefused)
    values = {
        "patient_id": data.patient_id,
        "organization_id": data.organization_id,
        "refused_from": data.refused_from,
        "reason": data.reason,
    }
    table = ServiceRefusalProjection.__table__
    await upsert_projection(ctx.session, table, values, ctx.envelope, key="patient_id")  # type: ignore[arg-type]


def debt(open_: bool) -> Handler:
    async def handle(ctx: HandlerContext) -> None:
        data = ctx.data(DebtSettled)  # the fields both events share
        values = {
            "id": data.debt_id,
            "patient_id": data.patient_id,
            "organization_id": data.organization_id,
            "open": open_,
        }
        await upsert_projection(ctx.session, DebtProjection.__table__, values, ctx.envelope)  # type: ignore[arg-type]

    return handle


def enrollment(state: str) -> Handler:
    async def handle(ctx: HandlerContext) -> None:
        data = ctx.data(_EnrollmentData)
        values = {
            "id": data.enrollment_id,
            "program_id": data.program_id,
            "patient_id": data.patient_id,
            "organization_id": data.organization_id,
            "starts_on": data.starts_on,
            "ends_on": data.ends_on,
            "state": state,
            "preventive_plan": data.preventive_plan,
        }
        await upsert_projection(ctx.session, EnrollmentProjection.__table__, values, ctx.envelope)  # type: ignore[arg-type]

    return handle


async def payment(ctx: HandlerContext) -> None:
    """BIL-4: what is still due on the appointment's invoice, by the latest word of billing."""
    data = ctx.data(PaymentCaptured)  # `payment.refunded` carries the same fields used here
    if data.appointment_id is None:
        return
    try:
        settled = Decimal(data.balance_due) <= 0
    except InvalidOperation:
        settled = False
    t = AppointmentPayment.__table__
    assert isinstance(t, Table)
    stmt = pg_insert(t).values(
        appointment_id=data.appointment_id,
        balance_due=data.balance_due,
        settled=settled,
        as_of=ctx.envelope.time,
    )
    await ctx.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.c.appointment_id],
            set_={
                "balance_due": stmt.excluded.balance_due,
                "settled": stmt.excluded.settled,
                "as_of": stmt.excluded.as_of,
            },
            where=t.c.as_of <= stmt.excluded.as_of,
        )
    )


HANDLERS: dict[str, Handler] = {
    type_of(ReferralIssued): mirror(
        ReferralProjection, ReferralIssued, rename={"referral_id": "id"}, extra={"used": False}
    ),
    type_of(ReferralUsed): referral_used,
    type_of(DebtOpened): debt(True),
    type_of(DebtSettled): debt(False),
    type_of(EnrollmentCreated): enrollment("active"),
    type_of(EnrollmentSuspended): enrollment("suspended"),
    type_of(EnrollmentEnded): enrollment("ended"),
    type_of(PatientServiceRefused): service_refused,
    type_of(PaymentCaptured): payment,
    type_of(PaymentRefunded): payment,
}
