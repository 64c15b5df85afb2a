"""Imports every module's models so Alembic and the schema test see all tables."""

from records.audit.models import AuditEvent, BreakGlassAccess, ReviewItem
from records.cabinet.models import Cabinet
from records.card.models import CardEntry, Referral
from records.care.models import AppointmentProjection, CareRelation
from records.complaint.models import Complaint
from records.conduct.models import ServiceRefusal, Violation
from records.consent.models import ConsentRequiredIntervention
from records.document.models import DocumentRequest, Result
from records.link.models import PersonLink, Withholding
from records.notification.models import Notification, NotificationDelivery, Reminder
from records.offer.models import Contract, OfferAcceptance, OfferVersion
from records.organization.models import OrganizationProjection
from records.patient.models import Consent, Patient

__all__ = [
    "AppointmentProjection",
    "AuditEvent",
    "BreakGlassAccess",
    "Cabinet",
    "CardEntry",
    "CareRelation",
    "Complaint",
    "Consent",
    "ConsentRequiredIntervention",
    "Contract",
    "DocumentRequest",
    "Notification",
    "NotificationDelivery",
    "OfferAcceptance",
    "OfferVersion",
    "OrganizationProjection",
    "Patient",
    "PersonLink",
    "Referral",
    "Reminder",
    "Result",
    "ReviewItem",
    "ServiceRefusal",
    "Violation",
    "Withholding",
]
