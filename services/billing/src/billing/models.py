"""Imports every module's models so Alembic and the schema test see all tables."""

from billing.catalog.models import Service
from billing.organization.models import OrganizationProjection
from billing.patient.models import PatientProjection
from billing.pricelist.models import PriceListItem, PriceListVersion

__all__ = ["OrganizationProjection", "PatientProjection", "PriceListItem", "PriceListVersion", "Service"]
