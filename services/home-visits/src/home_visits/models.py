"""Imports every module's models so Alembic and the schema test see all tables."""

from home_visits.organization.models import BranchProjection, OrganizationProjection
from home_visits.patient.models import PatientProjection
from home_visits.practitioner.models import PractitionerProjection, ShiftProjection
from home_visits.zone.models import DistanceBandRow, Zone, ZonePolicy

__all__ = [
    "BranchProjection",
    "DistanceBandRow",
    "OrganizationProjection",
    "PatientProjection",
    "PractitionerProjection",
    "ShiftProjection",
    "Zone",
    "ZonePolicy",
]
