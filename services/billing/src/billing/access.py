"""Who may see and change what in billing: the service's one access policy.

Routes declare `GRANT.dependency()` (the role check, 403 `forbidden_role`; for patient-scope
callers also the REC-19 cabinet gate, 403 `cabinet_access_required`); use cases call the checks
below with the loaded object. Objects the caller may not see answer as if they did not exist
(404, or 422 `patient_unknown` for a patient named in a body). The price list in force is public
(BIL-1) and needs no check.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from clinic_common.auth import Grant, OrganizationForbidden, Principal, Role
from clinic_common.auth.principal import WORKING_STAFF
from clinic_common.errors import UnknownEntity

from billing.invoice.models import Invoice

PUBLISH_PRICE_LIST = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""BIL-1: a new version is approved by an order of the organization's director."""

READ_INVOICES = Grant.of(
    Role.REGISTRAR,
    Role.CALL_CENTER,
    Role.CASHIER,
    Role.DOCTOR,
    Role.NURSE,
    Role.HOME_DOCTOR,
    Role.DIRECTOR,
    Role.ADMIN,
    patient=True,
)
"""BIL-6: the estimate and act are signed by the medical worker and the patient; the registry and
cashier take the payment; the patient sees their own (in the cabinet)."""

ADD_ITEMS = Grant.of(Role.DOCTOR, Role.NURSE, Role.HOME_DOCTOR, Role.REGISTRAR, Role.CASHIER, Role.ADMIN)
"""BIL-4: services prescribed during the visit, added by who renders or registers them."""

ISSUE_INVOICE = Grant.of(Role.REGISTRAR, Role.CASHIER, Role.DIRECTOR, Role.ADMIN)
"""BIL-5: an invoice issued in advance for a bank transfer, at the registry or the cash desk."""

TAKE_PAYMENT = Grant.of(Role.CASHIER, Role.REGISTRAR, Role.HOME_DOCTOR, Role.ADMIN)
"""BIL-4: at the cashier (O 4.1), at the registry (P 12.2.5); at home the doctor (P 7.11)."""

REFUND = Grant.of(Role.CASHIER, Role.DIRECTOR, Role.ADMIN)
"""BIL-9: refunds are paid at the cash desk against the application, or ordered by the director."""

READ_BALANCE = Grant.of(
    Role.REGISTRAR, Role.CALL_CENTER, Role.CASHIER, Role.DIRECTOR, Role.ADMIN, patient=True
)
"""BIL-10/SCH-13: the registry and call centre see debts when booking; the patient their own."""

CREATE_DISCOUNT = Grant.of(Role.REGISTRAR, Role.DIRECTOR, Role.ADMIN)
"""BIL-11: the registry takes a patient's application for an individual discount; promotions
and approvals are the director's (checked below)."""

APPROVE_DISCOUNT = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""BIL-11: individual discounts are approved by the general director (O 12.3)."""

MANAGE_PROGRAMS = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""BIL-12: the organization sets its programs' content and exclusions."""

READ_PROGRAMS = Grant.of(*WORKING_STAFF, patient=True)
"""The program catalogue: staff who sell, book and render under it, and patients choosing one."""

ENROLL = Grant.of(Role.REGISTRAR, Role.DIRECTOR, Role.ADMIN)
"""BIL-12: a program is sold at the registry, checked at sale."""

READ_COVERAGE = Grant.of(*WORKING_STAFF, patient=True)
"""BIL-13: whoever books, renders or bills a service under a program, and the patient their own."""

DECIDE_SURCHARGE = Grant.of(Role.REGISTRAR, Role.DIRECTOR, Role.ADMIN)
"""BIL-16/BIL-17: the customer's answer to a proposed surcharge is recorded at the registry."""

READ_LEDGER = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""BIL-7: the books and their reconciliation."""

READ_FISCAL = Grant.of(Role.CASHIER, Role.DIRECTOR, Role.ADMIN)
CORRECT_FISCAL = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""A correction receipt names its basis; the director answers for it."""

MANAGE_INSURERS = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""BIL-19: partner insurers and their claims-register layouts are contracts of the organization."""

REGISTER_POLICY = Grant.of(Role.REGISTRAR, Role.ADMIN)
"""BIL-8: the registry records the policy shown with the identity document."""

PARTNER = Grant.of(Role.INSURER, Role.ADMIN)
"""BIL-19: the partner API, for insurers (their own insured only)."""

EXPORT_CLAIMS = Grant.of(Role.INSURER, Role.DIRECTOR, Role.ADMIN)
"""BIL-19: the claims register per insurer, for the insurer and the organization's director."""

CLAIM_DAMAGE = Grant.of(Role.REGISTRAR, Role.DIRECTOR, Role.ADMIN)
"""BIL-10: damage to property is claimed from whoever caused it."""


def check_can_publish_price_list(principal: Principal, organization_id: UUID) -> None:
    """403 `organization_forbidden` for another organization's price list; price lists belong to the
    organization, not a branch, so `branch_ids` does not narrow this."""
    if not PUBLISH_PRICE_LIST.allows(principal, org_id=organization_id):
        raise OrganizationForbidden()


def _invoice_visible(grant: Grant, principal: Principal, invoice: Invoice) -> bool:
    return grant.allows(
        principal, org_id=invoice.organization_id, branch_id=invoice.branch_id, patient_id=invoice.patient_id
    )


def check_can_read_invoice(principal: Principal, invoice: Invoice) -> None:
    """404 `invoice_not_found` for another organization, branch or patient."""
    from billing.invoice.domain import InvoiceNotFound

    if not _invoice_visible(READ_INVOICES, principal, invoice):
        raise InvoiceNotFound()


def _check(grant: Grant, principal: Principal, invoice: Invoice) -> None:
    from billing.invoice.domain import InvoiceNotFound

    if not _invoice_visible(grant, principal, invoice):
        raise InvoiceNotFound()


def check_can_add_items(principal: Principal, invoice: Invoice) -> None:
    _check(ADD_ITEMS, principal, invoice)


def check_can_pay(principal: Principal, invoice: Invoice) -> None:
    _check(TAKE_PAYMENT, principal, invoice)


def check_can_refund(principal: Principal, invoice: Invoice) -> None:
    _check(REFUND, principal, invoice)


def check_can_issue_invoice(principal: Principal, organization_id: UUID, patient_id: UUID) -> None:
    if not ISSUE_INVOICE.allows(principal, org_id=organization_id):
        raise UnknownEntity("patient", patient_id)


@dataclass(frozen=True, slots=True)
class PatientFilter:
    """What a list may contain for the caller; None means no limit on this field."""

    organization_id: UUID | None
    patient_id: UUID | None
    nothing: bool = False


def visible_patients(grant: Grant, principal: Principal) -> PatientFilter:
    """Staff see their organization's rows, a patient their own; anything else nothing."""
    if grant.as_staff(principal):
        return PatientFilter(principal.org_id, None)
    if principal.patient_id is None or principal.org_id is None:
        return PatientFilter(None, None, nothing=True)
    return PatientFilter(principal.org_id, principal.patient_id)


def check_patient(grant: Grant, principal: Principal, organization_id: UUID, patient_id: UUID) -> None:
    """A patient (or anyone) outside the caller's scope answers like an unknown one (404 through
    the caller's choice of error): raise `UnknownEntity("patient")`."""
    if not grant.allows(principal, org_id=organization_id, patient_id=patient_id):
        raise UnknownEntity("patient", patient_id)


def can(grant: Grant, principal: Principal, organization_id: UUID, patient_id: UUID | None = None) -> bool:
    return grant.allows(principal, org_id=organization_id, patient_id=patient_id)


def check_org(grant: Grant, principal: Principal, organization_id: UUID) -> None:
    """403 `organization_forbidden` for another organization's catalogue-level data."""
    if not grant.allows(principal, org_id=organization_id):
        raise OrganizationForbidden()


def check_director_for_promotion(principal: Principal) -> bool:
    """BIL-11: promotions and approvals come from the director (or the platform admin)."""
    return principal.has_any(Role.DIRECTOR, Role.ADMIN)


def insurer_scope(principal: Principal) -> UUID | None:
    """BIL-19: an insurer acts for its own insured only (claim `insurer_id`); None for staff."""
    if principal.has_any(Role.ADMIN, Role.DIRECTOR):
        return None
    return principal.insurer_id
