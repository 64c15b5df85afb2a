"""Deterioration reports (HV-10): file, acknowledge, list, and the sweep that escalates the ones
not acknowledged in time. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import UnknownEntity
from clinic_common.events.catalog import EventPayload, type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.home_visits import (
    DeteriorationReportAcknowledged,
    DeteriorationReportEscalated,
    DeteriorationReportFiled,
)

from home_visits import access
from home_visits.deterioration.domain import (
    EscalationReason,
    ReportStatus,
    acknowledge_by,
    attending_doctor,
    check_acknowledgeable,
)
from home_visits.deterioration.models import DeteriorationReport
from home_visits.deterioration.repository import RoutingRepository
from home_visits.deterioration.schemas import ReportCreate
from home_visits.organization.service import load_organization
from home_visits.visit.repository import VisitRepository

SWEEP_BATCH = 100


def _data(report: DeteriorationReport) -> dict[str, object]:
    return {
        "report_id": report.id,
        "organization_id": report.organization_id,
        "patient_id": report.patient_id,
        "practitioner_id": report.practitioner_id,
        "reported_at": report.reported_at,
        "acknowledge_by": report.acknowledge_by,
    }


async def _emit(
    session: AsyncSession, outbox: Outbox, report: DeteriorationReport, payload: EventPayload, now: datetime
) -> None:
    await outbox.add(
        session,
        type=type_of(type(payload)),
        aggregate_id=report.id,
        org_id=report.organization_id,
        now=now,
        data=payload,
    )


async def _escalate(
    session: AsyncSession,
    outbox: Outbox,
    report: DeteriorationReport,
    reason: EscalationReason,
    now: datetime,
) -> None:
    report.status = ReportStatus.ESCALATED.value
    report.escalated_at = now
    report.escalation_reason = reason.value
    await _emit(
        session,
        outbox,
        report,
        DeteriorationReportEscalated(**_data(report), escalated_at=now, reason=reason.value),
        now,
    )


async def file_report(
    session: AsyncSession, outbox: Outbox, principal: Principal, body: ReportCreate, now: datetime
) -> DeteriorationReport:
    """HV-10: routed to the attending doctor (named; else the attending practitioner learnt from
    scheduling, SCH-15; else the doctor of the latest home visit); with none known it goes to the
    call centre at once."""
    repo = VisitRepository(session)
    patient = await repo.patient(body.patient_id)
    if patient is None:
        if not access.REPORT_DETERIORATION.as_staff(principal) and principal.patient_id != body.patient_id:
            raise access.PatientNotFound()
        raise UnknownEntity("patient", body.patient_id)
    access.check_can_report_for(principal, patient.organization_id, patient.id)
    org = await load_organization(session, patient.organization_id)
    named = body.practitioner_id
    if named is not None:
        practitioner = await repo.practitioner(named)
        if practitioner is None or practitioner.organization_id != org.id:
            raise UnknownEntity("practitioner", named)
    doctor = attending_doctor(
        org.id,
        named=named,
        attending=await RoutingRepository(session).attending_doctor(patient.id, org.id),
        latest_visit_doctor=await repo.latest_doctor_of(patient.id),
    )
    minutes = org.policy_on(org.today(now)).deterioration_ack_minutes
    report = DeteriorationReport(
        id=uuid.uuid4(),
        organization_id=org.id,
        patient_id=patient.id,
        practitioner_id=doctor,
        description=body.description,
        status=ReportStatus.OPEN.value,
        reported_at=now,
        reported_by=principal.subject,
        acknowledge_by=acknowledge_by(now, minutes),
    )
    session.add(report)
    await session.flush()
    await _emit(
        session, outbox, report, DeteriorationReportFiled(**_data(report), description=body.description), now
    )
    if doctor is None:
        await _escalate(session, outbox, report, EscalationReason.NO_ATTENDING_DOCTOR, now)
    await session.flush()
    return report


async def acknowledge(
    session: AsyncSession, outbox: Outbox, principal: Principal, report_id: UUID, now: datetime
) -> DeteriorationReport:
    stmt = select(DeteriorationReport).where(DeteriorationReport.id == report_id).with_for_update()
    report = (await session.execute(stmt)).scalar_one_or_none()
    if report is None:
        raise access.ReportNotFound()
    by = access.check_can_acknowledge(principal, report.organization_id, report.practitioner_id)
    check_acknowledgeable(report.status)
    report.status = ReportStatus.ACKNOWLEDGED.value
    report.acknowledged_at = now
    report.acknowledged_by = by
    await _emit(
        session,
        outbox,
        report,
        DeteriorationReportAcknowledged(**_data(report), acknowledged_at=now, acknowledged_by=by),
        now,
    )
    await session.flush()
    return report


async def list_reports(
    session: AsyncSession,
    principal: Principal,
    organization_id: UUID,
    status: ReportStatus | None,
    *,
    limit: int,
    after: UUID | None,
) -> Sequence[DeteriorationReport]:
    access.check_can_read_reports(principal, organization_id)
    stmt = select(DeteriorationReport).where(DeteriorationReport.organization_id == organization_id)
    doctor = access.reports_limited_to(principal)
    if doctor is not None:
        stmt = stmt.where(DeteriorationReport.practitioner_id == doctor)
    if status is not None:
        stmt = stmt.where(DeteriorationReport.status == status.value)
    if after is not None:
        stmt = stmt.where(DeteriorationReport.id > after)
    return (await session.execute(stmt.order_by(DeteriorationReport.id).limit(limit + 1))).scalars().all()


async def escalate_overdue(session: AsyncSession, outbox: Outbox, now: datetime) -> int:
    """HV-10: every open report past its deadline goes to the call centre. Rows are claimed with
    SKIP LOCKED, so replicas sweeping at once never escalate one report twice."""
    stmt = (
        select(DeteriorationReport)
        .where(
            DeteriorationReport.status == ReportStatus.OPEN.value, DeteriorationReport.acknowledge_by <= now
        )
        .order_by(DeteriorationReport.acknowledge_by)
        .limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)
    )
    reports = (await session.execute(stmt)).scalars().all()
    for report in reports:
        await _escalate(session, outbox, report, EscalationReason.NOT_ACKNOWLEDGED, now)
    await session.flush()
    return len(reports)
