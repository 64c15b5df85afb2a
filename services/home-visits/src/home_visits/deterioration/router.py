"""HTTP layer of deterioration reports (HV-10)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from home_visits import access
from home_visits.deterioration import service
from home_visits.deterioration.domain import ReportAlreadyAcknowledged, ReportStatus
from home_visits.deterioration.models import DeteriorationReport
from home_visits.deterioration.schemas import ReportCreate, ReportRead

router = APIRouter(prefix="/v1/deterioration-reports", tags=["deterioration reports"])

ReporterDep = Annotated[Principal, access.REPORT_DETERIORATION.dependency()]
ReaderDep = Annotated[Principal, access.READ_REPORTS.dependency()]
AcknowledgerDep = Annotated[Principal, access.ACKNOWLEDGE_REPORT.dependency()]


def to_read(r: DeteriorationReport) -> ReportRead:
    return ReportRead(
        id=r.id,
        organization_id=r.organization_id,
        patient_id=r.patient_id,
        practitioner_id=r.practitioner_id,
        description=r.description,
        status=ReportStatus(r.status),
        reported_at=r.reported_at,
        acknowledge_by=r.acknowledge_by,
        escalated_at=r.escalated_at,
        escalation_reason=r.escalation_reason,
        acknowledged_at=r.acknowledged_at,
        acknowledged_by=r.acknowledged_by,
    )


@router.post(
    "",
    status_code=201,
    response_model=ReportRead,
    responses=problems(
        access.PatientNotFound,
        unknown_entity("patient"),
        unknown_entity("organization"),
        unknown_entity("practitioner"),
    ),
)
async def file_report(
    request: Request, body: ReportCreate, session: SessionDep, principal: ReporterDep
) -> ReportRead:
    """HV-10: the patient's state worsened; the report reaches the attending doctor at once, and the
    call centre when the doctor does not acknowledge it in time."""
    now = request.app.state.clock.now()
    return to_read(await service.file_report(session, request.app.state.outbox, principal, body, now))


@router.get("", response_model=Page[ReportRead], responses=problems(OrganizationForbidden))
async def list_reports(
    organization_id: UUID,
    session: SessionDep,
    principal: ReaderDep,
    status: ReportStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[UUID | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Page[ReportRead]:
    """A doctor's reports (routed to them), or the organization's for the call centre (HV-10)."""
    rows = await service.list_reports(session, principal, organization_id, status, limit=limit, after=cursor)
    items = [to_read(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=str(rows[limit - 1].id) if len(rows) > limit else None)


@router.post(
    "/{report_id}/acknowledge",
    response_model=ReportRead,
    responses=problems(access.ReportNotFound, ReportAlreadyAcknowledged),
)
async def acknowledge(
    request: Request, report_id: UUID, session: SessionDep, principal: AcknowledgerDep
) -> ReportRead:
    now = request.app.state.clock.now()
    return to_read(await service.acknowledge(session, request.app.state.outbox, principal, report_id, now))
