"""Imports every module's models so Alembic and the schema test see all tables."""

from billing.catalog.models import Service
from billing.debt.models import Debt
from billing.discount.models import Discount
from billing.fiscal.models import FiscalDocument
from billing.invoice.models import Invoice, InvoiceItem
from billing.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from billing.organization.models import OrganizationProjection
from billing.partner.models import Guarantee, InsurancePolicy, Insurer
from billing.patient.models import PatientProjection
from billing.payment.models import Payment, ReceiptCounter
from billing.pricelist.models import PriceListItem, PriceListVersion
from billing.program.models import (
    DistanceBandProjection,
    Enrollment,
    Program,
    ProgramExclusion,
    ProgramService,
    ProgramUsage,
    ReferralProjection,
    Surcharge,
)
from billing.refund.models import Refund

__all__ = [
    "Debt",
    "Discount",
    "DistanceBandProjection",
    "Enrollment",
    "FiscalDocument",
    "Guarantee",
    "InsurancePolicy",
    "Insurer",
    "Invoice",
    "InvoiceItem",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "OrganizationProjection",
    "PatientProjection",
    "Payment",
    "PriceListItem",
    "PriceListVersion",
    "Program",
    "ProgramExclusion",
    "ProgramService",
    "ProgramUsage",
    "ReceiptCounter",
    "ReferralProjection",
    "Refund",
    "Service",
    "Surcharge",
]
