"""Absences (SCH-11): the practitioner's visits in the period are cancelled, each patient told
through its own `appointment.cancelled` (reason `absence`, refundable), so each notification and
each refund is tracked to its outcome by records and billing. Never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import AppError
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.scheduling import PractitionerAbsenceDeclared

from scheduling import access
from scheduling.absence.models import Absence
from scheduling.appointment import changes
from scheduling.appointment.domain import CancelReason
from scheduling.appointment.models import Appointment
from scheduling.appointment.repository import AppointmentRepository
from scheduling.practitioner.models import Practitioner


class AbsenceInverted(AppError):
    status = 422
    code = "absence_inverted"
    title = "An absence ends after it starts"
    rule = "SCH-11"


async def declare(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    practitioner: Practitioner,
    *,
    starts: datetime,
    ends: datetime,
    reason: str,
    now: datetime,
) -> tuple[Absence, list[Appointment]]:
    access.check_can_act_for_practitioner(access.DECLARE_ABSENCE, principal, practitioner)
    starts, ends = starts.astimezone(UTC), ends.astimezone(UTC)
    if not starts < ends:
        raise AbsenceInverted()
    absence = Absence(
        id=uuid.uuid4(),
        organization_id=practitioner.organization_id,
        practitioner_id=practitioner.id,
        starts_at=starts,
        ends_at=ends,
        reason=reason,
        declared_at=now,
        declared_by=principal.subject,
    )
    session.add(absence)
    affected = list(await AppointmentRepository(session).overlapping(practitioner.id, starts, ends))
    for a in affected:
        await changes.cancel_visit(
            session,
            outbox,
            a,
            CancelReason.ABSENCE,
            refundable=True,
            channel=None,
            now=now,
            absence_id=absence.id,
        )
    await outbox.add(
        session,
        type=type_of(PractitionerAbsenceDeclared),
        aggregate_id=practitioner.id,
        org_id=practitioner.organization_id,
        now=now,
        data=PractitionerAbsenceDeclared(
            practitioner_id=practitioner.id,
            organization_id=practitioner.organization_id,
            starts=starts,
            ends=ends,
            reason=reason,
            absence_id=absence.id,
            cancelled_appointments=len(affected),
        ),
    )
    await session.flush()
    return absence, affected
