"""Attending practitioner use cases (SCH-15): read it with its history, choose or change it.
Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import UnknownEntity
from clinic_common.etag import check_if_match, etag
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.scheduling import AttendingPractitionerChanged

from scheduling import access
from scheduling.attending.domain import check_change, under_program
from scheduling.attending.models import AttendingChange, AttendingPractitioner
from scheduling.attending.repository import AttendingRepository
from scheduling.attending.schemas import AttendingChoice
from scheduling.organization import service as organizations
from scheduling.patient.domain import PatientNotFound
from scheduling.patient.models import PatientProjection
from scheduling.patient.repository import PatientRepository
from scheduling.practitioner.repository import PractitionerRepository
from scheduling.standing.repository import StandingRepository


@dataclass(frozen=True)
class Attending:
    patient: PatientProjection
    current: AttendingPractitioner | None
    history: Sequence[AttendingChange]
    time_zone: str  # the organization's: the patient's choice belongs to no branch

    @property
    def version(self) -> int:
        return self.current.version if self.current else 0

    @property
    def etag(self) -> str:
        return etag(self.patient.id, self.version)


async def _patient(session: AsyncSession, patient_id: uuid.UUID, *, lock: bool = False) -> PatientProjection:
    """The patient's row, locked while changing so concurrent changes line up one after another."""
    patient = await PatientRepository(session).get(patient_id, for_update=lock)
    if patient is None:
        raise PatientNotFound()
    return patient


async def _view(session: AsyncSession, patient: PatientProjection) -> Attending:
    repo = AttendingRepository(session)
    org = await organizations.get_organization(session, patient.organization_id)
    return Attending(
        patient,
        await repo.current(patient.organization_id, patient.id),
        await repo.history(patient.organization_id, patient.id),
        org.time_zone,
    )


async def read(session: AsyncSession, principal: Principal, patient_id: uuid.UUID) -> Attending:
    patient = await _patient(session, patient_id)
    access.check_can_read_attending(principal, patient)
    return await _view(session, patient)


async def choose(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: uuid.UUID,
    body: AttendingChoice,
    if_match: str | None,
    now: datetime,
) -> Attending:
    """SCH-15: the patient chooses or changes (O 6.2.1) unless under a program, where the personal
    manager makes the change (P 12.2.3); the organization replaces with a reason (O 5.2.8). The
    practitioner is an active one of the patient's organization. Choosing the current one again
    changes nothing and announces nothing; every real change is announced as
    `attending_practitioner.changed` in the same transaction."""
    patient = await _patient(session, patient_id, lock=True)
    capacity, role = access.attending_capacity(principal, patient, body.acting_as)
    before = await _view(session, patient)
    check_if_match(if_match, before.etag, what="The attending practitioner")
    org = await organizations.get_organization(session, patient.organization_id)
    enrolled = under_program(
        await StandingRepository(session).enrollments(patient.id), organizations.local_today(org, now)
    )
    check_change(capacity, under_program=enrolled, reason=body.reason)
    practitioner = await PractitionerRepository(session).get(body.practitioner_id)
    if practitioner is None or not practitioner.active or practitioner.organization_id != org.id:
        raise UnknownEntity("practitioner", body.practitioner_id)
    current = before.current
    if current is not None and current.practitioner_id == practitioner.id:
        return before
    previous = current.practitioner_id if current else None
    if current is None:
        current = AttendingPractitioner(organization_id=org.id, patient_id=patient.id, version=0)
        session.add(current)
    current.practitioner_id = practitioner.id
    current.since = now
    current.version += 1
    session.add(
        AttendingChange(
            id=uuid.uuid4(),
            organization_id=org.id,
            patient_id=patient.id,
            practitioner_id=practitioner.id,
            previous_practitioner_id=previous,
            capacity=capacity.value,
            role=role,
            chosen_by=principal.subject,
            reason=(body.reason or "").strip() or None,
            at=now,
            version=current.version,
        )
    )
    await outbox.add(
        session,
        type=type_of(AttendingPractitionerChanged),
        aggregate_id=patient.id,
        org_id=org.id,
        now=now,
        data=AttendingPractitionerChanged(
            patient_id=patient.id,
            organization_id=org.id,
            practitioner_id=practitioner.id,
            previous_practitioner_id=previous,
            capacity=capacity.value,
            changed_at=now,
            version=current.version,
        ),
    )
    await session.flush()
    return await _view(session, patient)
