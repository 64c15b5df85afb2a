"""A visit's way after dispatch (HV-6, HV-7, HV-9): assign, en route, arrive, and its outcome.
Each step locks the visit row, checks the transition, writes the state and its events. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Grant, Principal
from clinic_common.errors import AppError
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.home_visits import (
    BiomaterialNotReady,
    HomeVisitArrived,
    HomeVisitAssigned,
    HomeVisitCancelled,
    HomeVisitCompleted,
    HomeVisitEnRoute,
    HomeVisitFalseCall,
    HomeVisitPostponed,
    HomeVisitScheduled,
)

from home_visits import access
from home_visits.dispatch.service import doctors_on_shift
from home_visits.organization.service import load_organization
from home_visits.visit import domain
from home_visits.visit.domain import FalseCallReason, VisitKind, VisitStatus
from home_visits.visit.events import emit, visit_data
from home_visits.visit.models import HomeVisit
from home_visits.visit.repository import VisitRepository


class PractitionerNotAvailable(AppError):
    status = 422
    code = "practitioner_not_available"
    title = "The practitioner is not a home-care doctor of the branch on shift that day"
    rule = "HV-9"


async def _locked(session: AsyncSession, visit_id: UUID) -> HomeVisit:
    visit = await VisitRepository(session).get(visit_id, for_update=True)
    if visit is None:
        raise access.HomeVisitNotFound()
    return visit


def _move(visit: HomeVisit, target: VisitStatus, now: datetime) -> None:
    domain.check_transition(visit.status, target)
    visit.status = target.value
    visit.updated_at = now


async def assign(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    visit_id: UUID,
    practitioner_id: UUID,
    now: datetime,
) -> HomeVisit:
    """HV-9 by hand: the visit goes to the end of the doctor's route for its day."""
    visit = await _locked(session, visit_id)
    access.check_can_change_visit(
        access.PLAN, principal, visit.organization_id, visit.branch_id, visit.patient_id
    )
    org = await load_organization(session, visit.organization_id)
    on_shift = {
        d.practitioner_id for d in await doctors_on_shift(session, org, visit.branch_id, visit.scheduled_for)
    }
    if practitioner_id not in on_shift:
        raise PractitionerNotAvailable()
    _move(visit, VisitStatus.ASSIGNED, now)
    repo = VisitRepository(session)
    if visit.practitioner_id != practitioner_id:
        visit.practitioner_id = practitioner_id
        visit.route_position = await repo.last_position(practitioner_id, visit.scheduled_for) + 1
        visit.planned_arrival = None
    await session.flush()
    await emit(
        session,
        outbox,
        visit,
        HomeVisitAssigned(
            **{**visit_data(visit), "practitioner_id": practitioner_id},
            route_position=visit.route_position or 1,
        ),
        now,
    )
    return visit


async def set_out(
    session: AsyncSession, outbox: Outbox, principal: Principal, visit_id: UUID, now: datetime
) -> HomeVisit:
    """HV-9: the doctor is on the way."""
    visit = await _locked(session, visit_id)
    access.check_can_work_visit(principal, visit.organization_id, visit.branch_id, visit.practitioner_id)
    _move(visit, VisitStatus.EN_ROUTE, now)
    visit.en_route_at = now
    await emit(session, outbox, visit, HomeVisitEnRoute(**visit_data(visit)), now)
    return visit


async def arrive(
    session: AsyncSession, outbox: Outbox, principal: Principal, visit_id: UUID, now: datetime
) -> HomeVisit:
    """HV-7, HV-9: the doctor arrived; the 15-minute preparation clock starts now (recorded once:
    a second arrival is 409 `invalid_transition`)."""
    visit = await _locked(session, visit_id)
    access.check_can_work_visit(principal, visit.organization_id, visit.branch_id, visit.practitioner_id)
    _move(visit, VisitStatus.ARRIVED, now)
    visit.arrived_at = now
    await emit(
        session,
        outbox,
        visit,
        HomeVisitArrived(
            **visit_data(visit), arrived_at=now, preparation_deadline=domain.preparation_deadline(now)
        ),
        now,
    )
    return visit


async def complete(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    visit_id: UUID,
    samples_not_ready: bool,
    now: datetime,
) -> HomeVisit:
    """HV-9: the visit was made: records writes the home encounter, billing charges what is not
    covered (BIL-15), and samples that were not ready are charged (P 12.3.4)."""
    visit = await _locked(session, visit_id)
    access.check_can_work_visit(principal, visit.organization_id, visit.branch_id, visit.practitioner_id)
    _move(visit, VisitStatus.COMPLETED, now)
    assert visit.practitioner_id is not None  # arrived visits were assigned
    visit.closed_at = now
    visit.samples_not_ready = samples_not_ready
    await emit(
        session,
        outbox,
        visit,
        HomeVisitCompleted(
            **{**visit_data(visit), "practitioner_id": visit.practitioner_id},
            distance_band_km=visit.band_upper_km,
            arrived_at=visit.arrived_at,
            completed_at=now,
            service_code=domain.service_code(VisitKind(visit.kind)),
        ),
        now,
    )
    if samples_not_ready:
        await emit(
            session,
            outbox,
            visit,
            BiomaterialNotReady(
                home_visit_id=visit.id,
                patient_id=visit.patient_id,
                organization_id=visit.organization_id,
                enrollment_id=visit.enrollment_id,
                recorded_at=now,
            ),
            now,
        )
    return visit


async def false_call(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    visit_id: UUID,
    reason: FalseCallReason,
    waived: bool,
    now: datetime,
) -> HomeVisit:
    """HV-7: the doctor records a false call with its reason; the charge follows unless waived."""
    visit = await _locked(session, visit_id)
    access.check_can_work_visit(principal, visit.organization_id, visit.branch_id, visit.practitioner_id)
    domain.check_transition(visit.status, VisitStatus.FALSE_CALL)
    domain.check_false_call(
        reason, under_program=visit.enrollment_id is not None, arrived_at=visit.arrived_at, now=now
    )
    _move(visit, VisitStatus.FALSE_CALL, now)
    visit.closed_at = now
    visit.false_call_reason = reason.value
    visit.false_call_waived = waived
    await emit(
        session,
        outbox,
        visit,
        HomeVisitFalseCall(
            **visit_data(visit),
            reason=reason.value,
            waived=waived,
            recorded_at=now,
            service_code=domain.FALSE_CALL_SERVICE_CODE,
        ),
        now,
    )
    return visit


async def postpone(
    session: AsyncSession, outbox: Outbox, principal: Principal, visit_id: UUID, reason: str, now: datetime
) -> HomeVisit:
    """HV-6 (P 7.7): force majeure closes this visit as postponed and schedules its successor for
    the next day; records tells the patient (`home_visit.postponed`)."""
    visit = await _locked(session, visit_id)
    access.check_can_change_visit(
        access.POSTPONE, principal, visit.organization_id, visit.branch_id, visit.patient_id
    )
    org = await load_organization(session, visit.organization_id)
    _move(visit, VisitStatus.POSTPONED, now)
    new_date = domain.postponed_to(org.today(now), visit.scheduled_for)
    successor = HomeVisit(
        id=uuid.uuid4(),
        organization_id=visit.organization_id,
        patient_id=visit.patient_id,
        branch_id=visit.branch_id,
        enrollment_id=visit.enrollment_id,
        kind=visit.kind,
        status=VisitStatus.SCHEDULED.value,
        scheduled_for=new_date,
        time_zone=visit.time_zone,
        address_text=visit.address_text,
        lat=visit.lat,
        lon=visit.lon,
        program_address_id=visit.program_address_id,
        window_start=visit.window_start,
        window_end=visit.window_end,
        indications=visit.indications,
        inside_base_zone=visit.inside_base_zone,
        distance_km=visit.distance_km,
        band_upper_km=visit.band_upper_km,
        surcharge_percent=visit.surcharge_percent,
        coverage=visit.coverage,
        requested_at=visit.requested_at,
        requested_by=visit.requested_by,
        postponed_from_id=visit.id,
        updated_at=now,
    )
    session.add(successor)
    visit.closed_at = now
    visit.close_reason = reason
    visit.next_visit_id = successor.id
    visit.route_position = None  # frees the place in the doctor's route
    await session.flush()
    patient = await VisitRepository(session).patient(visit.patient_id)
    await emit(
        session,
        outbox,
        visit,
        HomeVisitPostponed(
            **visit_data(visit),
            reason=reason,
            new_date=new_date,
            next_home_visit_id=successor.id,
            patient_phone=patient.phone if patient else None,
        ),
        now,
    )
    await emit(
        session,
        outbox,
        successor,
        HomeVisitScheduled(
            **visit_data(successor),
            postponed_from=visit.id,
            window_start=successor.window_start,
            window_end=successor.window_end,
        ),
        now,
    )
    return visit


async def cancel(
    session: AsyncSession, outbox: Outbox, principal: Principal, visit_id: UUID, reason: str, now: datetime
) -> HomeVisit:
    """The request is withdrawn or refused before the doctor arrives."""
    visit = await _locked(session, visit_id)
    grant: Grant = access.CANCEL
    access.check_can_change_visit(grant, principal, visit.organization_id, visit.branch_id, visit.patient_id)
    _move(visit, VisitStatus.CANCELLED, now)
    visit.closed_at = now
    visit.close_reason = reason
    visit.route_position = None
    await session.flush()
    await emit(session, outbox, visit, HomeVisitCancelled(**visit_data(visit), reason=reason), now)
    return visit
