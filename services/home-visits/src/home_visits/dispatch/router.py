"""HTTP layer of dispatch (HV-9)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.calendar import local_to_utc, to_local
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity

from home_visits import access
from home_visits.dispatch import service
from home_visits.dispatch.schemas import PlanCreate, PlanRead, RouteRead, StopRead
from home_visits.organization.service import load_organization
from home_visits.visit.domain import InvalidTransition
from home_visits.visit.router import travel_of

router = APIRouter(tags=["dispatch"])

PlannerDep = Annotated[Principal, access.PLAN.dependency()]


@router.post(
    "/v1/dispatch/plans",
    response_model=PlanRead,
    responses=problems(
        OrganizationForbidden,
        unknown_entity("branch"),
        unknown_entity("organization"),
        service.PlanDayPast,
        InvalidTransition,
    ),
)
async def plan(request: Request, body: PlanCreate, session: SessionDep, principal: PlannerDep) -> PlanRead:
    """HV-9: assign the branch's visits of the day to the home-care doctors on shift and order each
    route (VROOM), within shifts and agreed intervals; run again to re-plan what has not started."""
    travel = travel_of(request)
    now = request.app.state.clock.now()
    row, plan = await service.plan_branch_day(
        session, request.app.state.outbox, principal, body.branch_id, body.date, now, travel
    )
    org = await load_organization(session, row.organization_id)
    return PlanRead(
        id=row.id,
        branch_id=row.branch_id,
        date=row.date,
        version=row.version,
        planned_at=row.planned_at,
        total_distance_km=row.total_distance_km,
        speed_kmh=travel.speed_kmh,
        visit_minutes=travel.visit_minutes,
        routes=[
            RouteRead(
                practitioner_id=r.doctor_id,
                distance_km=r.distance_km,
                travel_minutes=round(r.travel_s / 60),
                stops=[
                    StopRead(
                        home_visit_id=s.visit_id,
                        position=s.position,
                        planned_arrival=to_local(
                            local_to_utc(row.date, service.time_of(s.begin_s), org.time_zone), org.time_zone
                        ),
                        leg_km=s.leg_km,
                    )
                    for s in r.stops
                ],
            )
            for r in plan.routes
        ],
        unassigned=list(plan.unassigned),
    )
