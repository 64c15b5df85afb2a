"""Imports every module's models so Alembic and the schema test see all tables."""

from home_visits.attending.models import AttendingProjection
from home_visits.deterioration.models import DeteriorationReport
from home_visits.dispatch.models import DispatchPlan
from home_visits.enrollment.models import EnrollmentProjection
from home_visits.organization.models import BranchProjection, OrganizationProjection
from home_visits.patient.models import PatientProjection
from home_visits.practitioner.models import PractitionerProjection, ShiftProjection
from home_visits.program_address.models import ProgramAddress, SupplementaryAgreement
from home_visits.visit.models import HomeVisit
from home_visits.zone.models import DistanceBandRow, Zone, ZonePolicy

__all__ = [
    "AttendingProjection",
    "BranchProjection",
    "DeteriorationReport",
    "DispatchPlan",
    "DistanceBandRow",
    "EnrollmentProjection",
    "HomeVisit",
    "OrganizationProjection",
    "PatientProjection",
    "PractitionerProjection",
    "ProgramAddress",
    "ShiftProjection",
    "SupplementaryAgreement",
    "Zone",
    "ZonePolicy",
]
