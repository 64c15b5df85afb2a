"""HTTP layer of the organization module: public reads of organizations, branches and policy."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from clinic_common.auth import PUBLIC
from clinic_common.db import SessionDep
from clinic_common.openapi import problems
from clinic_common.schemas import Page

from scheduling.organization import service
from scheduling.organization.domain import OrganizationNotFound
from scheduling.organization.models import Branch, Organization
from scheduling.organization.schemas import BranchRead, OrganizationRead, PolicySummary

router = APIRouter(prefix="/v1/organizations", tags=["organizations"])


def branch_to_read(b: Branch) -> BranchRead:
    return BranchRead(
        id=b.id,
        name=b.name,
        address=b.address,
        lat=b.lat,
        lon=b.lon,
        time_zone=b.time_zone,
        opening_hours=service.hours_of(b.opening_hours),
        phone_booking_hours=service.hours_of(b.phone_booking_hours),
        electronic_queue=b.electronic_queue,
    )


def to_read(org: Organization, now: datetime) -> OrganizationRead:
    today = service.local_today(org, now)
    current = service.in_force(org, today)
    summary: PolicySummary | None = None
    if current is not None:
        p = current.policy
        home_care = bool(p.home_visit_intake_hours)
        summary = PolicySummary(
            effective_from=current.effective_from,
            preset=p.preset,
            visit_minutes_min=p.visit_minutes_min,
            visit_minutes_max=p.visit_minutes_max,
            arrive_early_minutes=p.arrive_early_minutes,
            no_show_after_minutes=p.lateness.no_show_after_minutes,
            medical_info_channels=list(p.medical_info_channels),
            payment_timing=p.payment_timing,
            queue_priority=list(p.queue_priority),
            home_visit_cutoff_working_day=p.home_visit_cutoff_working_day if home_care else None,
            home_visit_cutoff_day_off=p.home_visit_cutoff_day_off if home_care else None,
            home_visit_intake_hours=list(p.home_visit_intake_hours),
            next_change=service.next_change(org, today),
        )
    return OrganizationRead(
        id=org.id,
        name=org.name,
        country=org.country,
        currency=org.currency,
        time_zone=org.time_zone,
        branches=[branch_to_read(b) for b in sorted(org.branches, key=lambda b: (b.sort_order, b.name))],
        policy=summary,
    )


@router.get("", response_model=Page[OrganizationRead], openapi_extra=PUBLIC)
async def list_organizations(
    request: Request,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Page[OrganizationRead]:
    """Organizations with their branches, opening hours and policy in force (ORG-1..ORG-3). Public."""
    now = request.app.state.clock.now()
    rows = await service.list_organizations(session, limit=limit, after=cursor)
    items = [to_read(o, now) for o in rows[:limit]]
    return Page(items=items, next_cursor=str(rows[limit - 1].id) if len(rows) > limit else None)


@router.get(
    "/{organization_id}",
    response_model=OrganizationRead,
    openapi_extra=PUBLIC,
    responses=problems(OrganizationNotFound),
)
async def read_organization(request: Request, organization_id: UUID, session: SessionDep) -> OrganizationRead:
    """One organization with its branches, hours and policy in force. Public."""
    return to_read(await service.get_organization(session, organization_id), request.app.state.clock.now())
