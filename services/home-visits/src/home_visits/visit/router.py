"""HTTP layer of home visits: parse, authorize, call the service, map to the schema."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.calendar import to_local
from clinic_common.db import SessionDep
from clinic_common.idempotency import IdempotencyDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import LocalDate, Page

from home_visits import access
from home_visits.dispatch.service import Travel
from home_visits.visit import lifecycle, service
from home_visits.visit.domain import (
    ClinicConditionsNeeded,
    EnrollmentNotOfPatient,
    FalseCallReason,
    FalseCallReasonNotAllowed,
    InvalidTransition,
    OutsideIntakeHours,
    PreparationNotOver,
    UrgentNotInProgram,
    VisitKind,
    preparation_deadline,
)
from home_visits.visit.models import HomeVisit
from home_visits.visit.schemas import (
    AddressRead,
    AssignBody,
    CompleteBody,
    CoverageRead,
    FalseCallBody,
    HomeVisitCreate,
    HomeVisitRead,
    ReasonBody,
    WindowRead,
)
from home_visits.zone.domain import AddressOutsideServiceZones

router = APIRouter(tags=["home visits"])

RequesterDep = Annotated[Principal, access.REQUEST_VISIT.dependency()]
DayReaderDep = Annotated[Principal, access.READ_DAY.dependency()]
ReaderDep = Annotated[Principal, access.READ_VISIT.dependency()]
PlannerDep = Annotated[Principal, access.PLAN.dependency()]
WorkerDep = Annotated[Principal, access.WORK_VISIT.dependency()]
PostponerDep = Annotated[Principal, access.POSTPONE.dependency()]
CancellerDep = Annotated[Principal, access.CANCEL.dependency()]


def travel_of(request: Request) -> Travel:
    settings = request.app.state.settings
    return Travel(settings.travel_speed_kmh, settings.visit_minutes, settings.dispatch_threads)


def _local(instant: datetime | None, tz: str) -> datetime | None:
    """api.md: instants are returned with the offset of the branch concerned."""
    return to_local(instant, tz) if instant is not None else None


def to_read(v: HomeVisit) -> HomeVisitRead:
    tz = v.time_zone
    window = (
        WindowRead(start=v.window_start, end=v.window_end)
        if v.window_start is not None and v.window_end is not None
        else None
    )
    return HomeVisitRead(
        id=v.id,
        organization_id=v.organization_id,
        patient_id=v.patient_id,
        kind=VisitKind(v.kind),
        status=v.status,
        scheduled_for=v.scheduled_for,
        branch_id=v.branch_id,
        enrollment_id=v.enrollment_id,
        address=AddressRead(text=v.address_text, lat=v.lat, lon=v.lon),
        indications=v.indications,
        coverage=CoverageRead.model_validate(v.coverage),
        window=window,
        practitioner_id=v.practitioner_id,
        route_position=v.route_position,
        planned_arrival=_local(v.planned_arrival, tz),
        requested_at=to_local(v.requested_at, tz),
        en_route_at=_local(v.en_route_at, tz),
        arrived_at=_local(v.arrived_at, tz),
        preparation_deadline=_local(preparation_deadline(v.arrived_at), tz) if v.arrived_at else None,
        closed_at=_local(v.closed_at, tz),
        false_call_reason=FalseCallReason(v.false_call_reason) if v.false_call_reason else None,
        false_call_waived=v.false_call_waived,
        close_reason=v.close_reason,
        postponed_from_id=v.postponed_from_id,
        next_visit_id=v.next_visit_id,
    )


REQUEST_PROBLEMS = problems(
    access.PatientNotFound,
    unknown_entity("patient"),
    unknown_entity("organization"),
    unknown_entity("enrollment"),
    EnrollmentNotOfPatient,
    ClinicConditionsNeeded,
    UrgentNotInProgram,
    OutsideIntakeHours,
    AddressOutsideServiceZones,
)


@router.post("/v1/home-visits", status_code=201, response_model=HomeVisitRead, responses=REQUEST_PROBLEMS)
async def request_visit(
    request: Request,
    body: HomeVisitCreate,
    session: SessionDep,
    principal: RequesterDep,
    idem: IdempotencyDep,
) -> JSONResponse:
    """A planned or urgent home visit (HV-1 to HV-5): dated by the same-day cutoff in the
    organization's time zone, served by the branch whose zone holds the address, with the coverage
    decision (billing's when it answers in time). Idempotency-Key accepted."""

    async def run() -> HomeVisitRead:
        visit = await service.request_visit(
            session,
            request.app.state.outbox,
            request.app.state.billing_coverage,
            principal,
            request.headers.get("authorization"),
            body,
            request.app.state.clock.now(),
            travel_of(request),
        )
        return to_read(visit)

    return await idem.run(
        run,
        principal_subject=principal.subject,
        headers=lambda r: {"Location": f"/v1/home-visits/{r.id}"},  # type: ignore[attr-defined]
    )


@router.get(
    "/v1/home-visits",
    response_model=Page[HomeVisitRead],
    responses=problems(OrganizationForbidden, unknown_entity("branch")),
)
async def list_day(
    branch_id: UUID,
    date: LocalDate,
    session: SessionDep,
    principal: DayReaderDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Page[HomeVisitRead]:
    """A branch's visits of a day (HV-9)."""
    rows = await service.list_day(session, principal, branch_id, date, limit=limit, after=cursor)
    items = [to_read(v) for v in rows[:limit]]
    return Page(items=items, next_cursor=str(rows[limit - 1].id) if len(rows) > limit else None)


@router.get(
    "/v1/home-visits/{visit_id}", response_model=HomeVisitRead, responses=problems(access.HomeVisitNotFound)
)
async def read_visit(visit_id: UUID, session: SessionDep, principal: ReaderDep) -> HomeVisitRead:
    return to_read(await service.get_visit(session, principal, visit_id))


STEP_PROBLEMS = (access.HomeVisitNotFound, InvalidTransition)


@router.post(
    "/v1/home-visits/{visit_id}/assign",
    response_model=HomeVisitRead,
    responses=problems(*STEP_PROBLEMS, unknown_entity("organization"), lifecycle.PractitionerNotAvailable),
)
async def assign(
    request: Request, visit_id: UUID, body: AssignBody, session: SessionDep, principal: PlannerDep
) -> HomeVisitRead:
    """HV-9: assign a home-care doctor on shift by hand (the end of their route)."""
    now = request.app.state.clock.now()
    visit = await lifecycle.assign(
        session, request.app.state.outbox, principal, visit_id, body.practitioner_id, now
    )
    return to_read(visit)


@router.post(
    "/v1/home-visits/{visit_id}/en-route", response_model=HomeVisitRead, responses=problems(*STEP_PROBLEMS)
)
async def en_route(
    request: Request, visit_id: UUID, session: SessionDep, principal: WorkerDep
) -> HomeVisitRead:
    """HV-9: the doctor sets out."""
    now = request.app.state.clock.now()
    return to_read(await lifecycle.set_out(session, request.app.state.outbox, principal, visit_id, now))


@router.post(
    "/v1/home-visits/{visit_id}/arrive", response_model=HomeVisitRead, responses=problems(*STEP_PROBLEMS)
)
async def arrive(
    request: Request, visit_id: UUID, session: SessionDep, principal: WorkerDep
) -> HomeVisitRead:
    """HV-7: the doctor arrived; the 15-minute preparation clock starts (once)."""
    now = request.app.state.clock.now()
    return to_read(await lifecycle.arrive(session, request.app.state.outbox, principal, visit_id, now))


@router.post(
    "/v1/home-visits/{visit_id}/complete", response_model=HomeVisitRead, responses=problems(*STEP_PROBLEMS)
)
async def complete(
    request: Request,
    visit_id: UUID,
    session: SessionDep,
    principal: WorkerDep,
    body: CompleteBody | None = None,
) -> HomeVisitRead:
    """HV-9: the visit was made (records: home encounter; billing: charges, samples not ready)."""
    now = request.app.state.clock.now()
    not_ready = body.samples_not_ready if body else False
    return to_read(
        await lifecycle.complete(session, request.app.state.outbox, principal, visit_id, not_ready, now)
    )


@router.post(
    "/v1/home-visits/{visit_id}/false-call",
    response_model=HomeVisitRead,
    responses=problems(*STEP_PROBLEMS, FalseCallReasonNotAllowed, PreparationNotOver),
)
async def false_call(
    request: Request, visit_id: UUID, body: FalseCallBody, session: SessionDep, principal: WorkerDep
) -> HomeVisitRead:
    """HV-7: a false call with its reason, charged at the price list unless waived."""
    now = request.app.state.clock.now()
    visit = await lifecycle.false_call(
        session, request.app.state.outbox, principal, visit_id, body.reason, body.waived, now
    )
    return to_read(visit)


@router.post(
    "/v1/home-visits/{visit_id}/postpone",
    response_model=HomeVisitRead,
    responses=problems(*STEP_PROBLEMS, unknown_entity("organization")),
)
async def postpone(
    request: Request, visit_id: UUID, body: ReasonBody, session: SessionDep, principal: PostponerDep
) -> HomeVisitRead:
    """HV-6: force majeure moves the visit to the next day (a new visit, `next_visit_id`); the
    patient is told by records."""
    now = request.app.state.clock.now()
    return to_read(
        await lifecycle.postpone(session, request.app.state.outbox, principal, visit_id, body.reason, now)
    )


@router.post(
    "/v1/home-visits/{visit_id}/cancel", response_model=HomeVisitRead, responses=problems(*STEP_PROBLEMS)
)
async def cancel(
    request: Request, visit_id: UUID, body: ReasonBody, session: SessionDep, principal: CancellerDep
) -> HomeVisitRead:
    now = request.app.state.clock.now()
    return to_read(
        await lifecycle.cancel(session, request.app.state.outbox, principal, visit_id, body.reason, now)
    )
