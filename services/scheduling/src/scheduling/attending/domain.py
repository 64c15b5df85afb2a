"""The patient's attending practitioner as plain Python (SCH-15).

The patient chooses the attending practitioner among the organization's available practitioners
and may ask to change (O 6.2.1); under a program the change goes through the personal manager
(P 12.2.3); the organization may replace the attending practitioner (O 5.2.8).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from clinic_common.errors import AppError

from scheduling.standing.domain import Enrollment


class Capacity(StrEnum):
    """In which capacity a change of the attending practitioner is made (SCH-15)."""

    PATIENT = "patient"  # O 6.2.1: the patient's own choice, or their request to change
    PERSONAL_MANAGER = "personal_manager"  # P 12.2.3: staff acting as the patient's personal manager
    ORGANIZATION = "organization"  # O 5.2.8: the organization replaces the attending practitioner


class ProgramManagerRequired(AppError):
    status = 403
    code = "program_manager_required"
    title = "Under a program the attending practitioner is changed through the personal manager"
    rule = "SCH-15"


class ReplacementReasonRequired(AppError):
    status = 422
    code = "replacement_reason_required"
    title = "The organization gives a reason when it replaces the attending practitioner"
    rule = "SCH-15"


def under_program(enrollments: Iterable[Enrollment], today: date) -> bool:
    """P 12.2.3: the patient has a program enrolment active today."""
    return any(e.covers(today) for e in enrollments)


def check_change(capacity: Capacity, *, under_program: bool, reason: str | None) -> None:
    """SCH-15: the patient chooses and changes freely (O 6.2.1) unless a program makes the change
    go through the personal manager (P 12.2.3); the organization replacing the attending
    practitioner says why (O 5.2.8)."""
    if capacity is Capacity.PATIENT and under_program:
        raise ProgramManagerRequired("ask your personal manager (the call centre or the registry)")
    if capacity is Capacity.ORGANIZATION and not (reason and reason.strip()):
        raise ReplacementReasonRequired()
