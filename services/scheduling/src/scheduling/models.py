"""Imports every module's models so Alembic and the schema test see all tables."""

from scheduling.absence.models import Absence
from scheduling.appointment.models import Appointment
from scheduling.attending.models import AttendingChange, AttendingPractitioner
from scheduling.catalog.models import ServiceProjection
from scheduling.organization.models import Branch, Organization, PolicyVersionRow
from scheduling.patient.models import PatientProjection
from scheduling.practitioner.models import Practitioner, PractitionerBranch, Shift, ShiftExceptionRow
from scheduling.queue.models import QueueDay, QueueEntry
from scheduling.standing.models import (
    AppointmentPayment,
    DebtProjection,
    EnrollmentProjection,
    ReferralProjection,
    ServiceRefusalProjection,
)

__all__ = [
    "Absence",
    "Appointment",
    "AppointmentPayment",
    "AttendingChange",
    "AttendingPractitioner",
    "Branch",
    "DebtProjection",
    "EnrollmentProjection",
    "Organization",
    "PatientProjection",
    "PolicyVersionRow",
    "Practitioner",
    "PractitionerBranch",
    "QueueDay",
    "QueueEntry",
    "ReferralProjection",
    "ServiceProjection",
    "ServiceRefusalProjection",
    "Shift",
    "ShiftExceptionRow",
]
