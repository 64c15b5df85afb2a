"""Conduct violations and ending the contract for non-compliance (REC-22). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import PatientServiceRefused

from records import access
from records.conduct.domain import AlreadyRefused, check_termination
from records.conduct.models import ServiceRefusal, Violation
from records.conduct.schemas import ServiceRefusalCreate, ViolationCreate
from records.patient.context import context_of, load_patient


async def record(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    patient_id: uuid.UUID,
    kind: str,
    note: str,
    occurred_at: datetime,
    recorded_by: str,
    appointment_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """One violation; a visit's no-show or late arrival once, however often its event arrives."""
    inserted = await session.execute(
        pg_insert(Violation)
        .values(
            id=uuid.uuid4(),
            organization_id=organization_id,
            patient_id=patient_id,
            kind=kind,
            occurred_at=occurred_at,
            appointment_id=appointment_id,
            note=note,
            recorded_by=recorded_by,
        )
        .on_conflict_do_nothing()
        .returning(Violation.id)
    )
    return inserted.scalar_one_or_none()


async def add_violation(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, body: ViolationCreate, now: datetime
) -> Violation:
    """REC-22 (O 3.22, O 8.6, conduct rules 3): recorded by the staff who saw it."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.CONDUCT, principal, patient)
    vid = await record(
        session,
        organization_id=patient.organization_id,
        patient_id=patient.id,
        kind=body.kind,
        note=body.note,
        occurred_at=now,
        recorded_by=principal.subject,
        appointment_id=body.appointment_id,
    )
    if vid is None:
        existing = await session.scalar(
            select(Violation).where(
                Violation.kind == body.kind, Violation.appointment_id == body.appointment_id
            )
        )
        assert existing is not None
        return existing
    row = await session.get(Violation, vid)
    assert row is not None
    return row


async def violations(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID
) -> Sequence[Violation]:
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.CONDUCT, principal, patient)
    stmt = select(Violation).where(Violation.patient_id == patient.id).order_by(Violation.occurred_at)
    return (await session.execute(stmt)).scalars().all()


async def refuse_service(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: uuid.UUID,
    body: ServiceRefusalCreate,
    now: datetime,
) -> ServiceRefusal:
    """REC-22 (O 8.6): after two or more recorded failures to follow medical advice the
    organization may end the contract; never where it threatens life or others' health, and
    emergency care is never refused. Announced as `patient.service_refused` (SCH-13)."""
    patient = await load_patient(session, patient_id, for_update=True)
    await access.check_patient(session, access.REFUSE_SERVICE, principal, patient)
    if patient.service_refused_from is not None:
        raise AlreadyRefused()
    failures = await session.scalar(
        select(func.count())
        .select_from(Violation)
        .where(Violation.patient_id == patient.id, Violation.kind == "medical_advice_not_followed")
    )
    check_termination(int(failures or 0), threatens_life_or_health=body.threatens_life_or_health)
    ctx = await context_of(session, patient, now)
    row = ServiceRefusal(
        id=uuid.uuid4(),
        organization_id=patient.organization_id,
        patient_id=patient.id,
        refused_from=ctx.today,
        reason=body.reason,
        decided_by=principal.subject,
        decided_at=now,
    )
    session.add(row)
    patient.service_refused_from = ctx.today
    await outbox.add(
        session,
        type=type_of(PatientServiceRefused),
        aggregate_id=patient.id,
        org_id=patient.organization_id,
        now=now,
        data=PatientServiceRefused(
            patient_id=patient.id,
            organization_id=patient.organization_id,
            refused_from=ctx.today,
            reason=body.reason,
        ),
    )
    return row
