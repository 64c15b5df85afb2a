"""Deterioration reports (HV-10, P 5.5, P 12.9) as plain Python: a report reaches the attending
doctor at once and the call centre when the doctor does not acknowledge it in time (policy)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

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


def acknowledge_by(reported_at: datetime, ack_minutes: int) -> datetime:
    """HV-10 (policy): the attending doctor's deadline to acknowledge."""
    return reported_at + timedelta(minutes=ack_minutes)


def overdue(status: str, deadline: datetime, now: datetime) -> bool:
    """An open report past its deadline goes to the call centre (HV-10)."""
    return status == ReportStatus.OPEN and now >= deadline


def check_acknowledgeable(status: str) -> None:
    if status == ReportStatus.ACKNOWLEDGED:
        raise ReportAlreadyAcknowledged()
