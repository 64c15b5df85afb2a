"""Imports every module's models so Alembic and the schema test see all tables."""

from scheduling.appointment.models import Appointment
from scheduling.catalog.models import ServiceProjection
from scheduling.organization.models import Branch, Organization, PolicyVersionRow
from scheduling.patient.models import PatientProjection
from scheduling.practitioner.models import Practitioner, PractitionerBranch, Shift

__all__ = [
    "Appointment",
    "Branch",
    "Organization",
    "PatientProjection",
    "PolicyVersionRow",
    "Practitioner",
    "PractitionerBranch",
    "ServiceProjection",
    "Shift",
]
