"""Events produced by billing."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from clinic_common.events.catalog import EventPayload, event


@event("billing", "service", "upserted", consumers=("scheduling", "home_visits"))
class ServiceUpserted(EventPayload):
    """A catalogue service: code, duration and flags (SCH-2, SCH-9, BIL-12)."""

    id: UUID
    organization_id: UUID
    code: str
    name: str
    duration_minutes: int
    category: str
    requires_referral: bool = False
    preventive: bool = False
    state_order: bool = False
    active: bool = True


class _MoneyFields(EventPayload):
    amount: str  # decimal string, api.md money shape
    currency: str


@event("billing", "program", "upserted", consumers=("scheduling", "home_visits"))
class ProgramUpserted(EventPayload):
    """A prepaid service program with its included services and flags (BIL-12)."""

    id: UUID
    organization_id: UUID
    name: str
    urgent_home_care: bool
    referral_required: bool = True
    service_code: str | None = None  # the price list item that prices the program (BIL-1)
    duration_months: int | None = None
    included: list[dict[str, object]] = Field(default_factory=list)  # [{service_code, times}]
    active: bool = True


@event("billing", "payment", "captured", consumers=("scheduling", "records"))
class PaymentCaptured(_MoneyFields):
    """Money was received against an invoice and a receipt issued (BIL-4, BIL-7)."""

    payment_id: UUID
    invoice_id: UUID
    patient_id: UUID
    appointment_id: UUID | None = None
    balance_due: str
    organization_id: UUID | None = None
    method: str | None = None
    receipt_number: int | None = None
    credited: str | None = None  # the part kept as the patient's advance (overpayment)


@event("billing", "payment", "refunded", consumers=("scheduling", "records"))
class PaymentRefunded(_MoneyFields):
    """Money was returned on a basis (BIL-9)."""

    refund_id: UUID
    payment_id: UUID
    invoice_id: UUID
    patient_id: UUID
    appointment_id: UUID | None = None
    basis: str
    balance_due: str
    organization_id: UUID | None = None
    status: str | None = None  # pending (ordered, due by `due_on`) or paid
    due_on: date | None = None


@event("billing", "invoice", "issued", consumers=("records",))
class InvoiceIssued(_MoneyFields):
    """An estimate, invoice or act was issued (BIL-6)."""

    invoice_id: UUID
    patient_id: UUID
    appointment_id: UUID | None = None
    kind: str  # estimate, act, invoice, program, charge, surcharge
    organization_id: UUID | None = None
    balance_due: str | None = None


@event("billing", "debt", "opened", consumers=("scheduling",))
class DebtOpened(_MoneyFields):
    """The patient owes for rendered services; paid bookings are refused (BIL-10, SCH-13)."""

    debt_id: UUID
    patient_id: UUID
    organization_id: UUID
    invoice_id: UUID | None = None
    reason: str | None = None  # extra_services_term, act_unpaid, damage


@event("billing", "debt", "settled", consumers=("scheduling",))
class DebtSettled(EventPayload):
    """The debt was paid (BIL-10)."""

    debt_id: UUID
    patient_id: UUID
    organization_id: UUID


class _EnrollmentData(EventPayload):
    enrollment_id: UUID
    program_id: UUID
    patient_id: UUID
    organization_id: UUID
    starts_on: date
    ends_on: date
    urgent_home_care: bool
    preventive_plan: list[dict[str, str]] = Field(default_factory=list)
    status: str | None = None  # active, suspended, ended, terminated


@event("billing", "enrollment", "created", consumers=("scheduling", "home_visits"))
class EnrollmentCreated(_EnrollmentData):
    """A patient was enrolled in a program for a period (BIL-12)."""


@event("billing", "enrollment", "suspended", consumers=("scheduling", "home_visits"))
class EnrollmentSuspended(_EnrollmentData):
    """Service under the program is suspended until paid (BIL-16, BIL-17)."""


@event("billing", "enrollment", "ended", consumers=("scheduling", "home_visits"))
class EnrollmentEnded(_EnrollmentData):
    """The program ended or was terminated (BIL-17)."""


class _SurchargeData(_MoneyFields):
    surcharge_id: UUID
    enrollment_id: UUID
    patient_id: UUID
    basis: str  # zone_band, health_group


@event("billing", "surcharge", "proposed", consumers=("records", "home_visits"))
class SurchargeProposed(_SurchargeData):
    """A surcharge on the program price was proposed to the customer (BIL-16, BIL-17)."""


@event("billing", "surcharge", "accepted", consumers=("records", "home_visits"))
class SurchargeAccepted(_SurchargeData):
    """The customer accepted the surcharge (BIL-16, BIL-17)."""


@event("billing", "surcharge", "refused", consumers=("records", "home_visits"))
class SurchargeRefused(_SurchargeData):
    """The customer refused; service at the address is refused or suspended (BIL-16, BIL-17)."""
