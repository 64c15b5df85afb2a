"""Imports every module's models so Alembic and the schema test see all tables."""

from records.organization.models import OrganizationProjection
from records.patient.models import Consent, Patient

__all__ = ["Consent", "OrganizationProjection", "Patient"]
