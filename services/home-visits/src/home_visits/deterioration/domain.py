"""Deterioration reports (HV-10, P 5.5, P 12.9) as plain Python: a report reaches the attending
doctor at once and the call centre when the doctor does not acknowledge it in time (policy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from clinic_common.errors import AppError


class ReportStatus(StrEnum):
    OPEN = "open"  # with the attending doctor
    ESCALATED = "escalated"  # with the call centre
    ACKNOWLEDGED = "acknowledged"


class EscalationReason(StrEnum):
    NOT_ACKNOWLEDGED = "not_acknowledged"
    NO_ATTENDING_DOCTOR = "no_attending_doctor"


class ReportAlreadyAcknowledged(AppError):
    status = 409
    code = "report_already_acknowledged"
    title = "The report was acknowledged already"
    rule = "HV-10"


@dataclass(frozen=True)
class KnownDoctor:
    """A practitioner home-visits has learnt from scheduling's `practitioner.upserted`."""

    id: UUID
    organization_id: UUID
    active: bool


def attending_doctor(
    organization_id: UUID,
    *,
    named: UUID | None,
    attending: KnownDoctor | None,
    latest_visit_doctor: UUID | None,
) -> UUID | None:
    """HV-10: whom the report reaches. The doctor named in the report; else the patient's
    attending practitioner (SCH-15, learnt from scheduling) when it is a known, active
    practitioner of the organization; else the doctor of the latest home visit. None: nobody, so
    the report goes to the call centre at once."""
    if named is not None:
        return named
    if attending is not None and attending.active and attending.organization_id == organization_id:
        return attending.id
    return latest_visit_doctor


def acknowledge_by(reported_at: datetime, ack_minutes: int) -> datetime:
    """HV-10 (policy): the attending doctor's deadline to acknowledge."""
    return reported_at + timedelta(minutes=ack_minutes)


def overdue(status: str, deadline: datetime, now: datetime) -> bool:
    """An open report past its deadline goes to the call centre (HV-10)."""
    return status == ReportStatus.OPEN and now >= deadline


def check_acknowledgeable(status: str) -> None:
    if status == ReportStatus.ACKNOWLEDGED:
        raise ReportAlreadyAcknowledged()
