"""Who may see and change what in records: the service's one access policy.

Routes declare `GRANT.dependency()` (the role check, 403 `forbidden_role`); use cases call the
checks below with the loaded object. Several roles in one token follow `clinic_common.auth.policy`
(a staff role's grant, else the patient's own-data grant). A patient the caller may not see
answers 404 `patient_not_found`, as if it did not exist (api.md).
"""

from __future__ import annotations

from uuid import UUID

from clinic_common.auth import Grant, OrganizationForbidden, Principal, Role
from clinic_common.errors import AppError

from records.patient.models import Patient


class PatientNotFound(AppError):
    """404 both for an id nobody has and for a patient the caller may not see."""

    status = 404
    code = "patient_not_found"
    title = "No such patient"


REGISTER_PATIENT = Grant.of(Role.REGISTRAR, Role.CALL_CENTER, Role.ADMIN)
"""REC-1: the registry, and the call centre for a caller booking their first visit."""

READ_PATIENT = Grant.of(
    Role.REGISTRAR,
    Role.CALL_CENTER,
    Role.CASHIER,
    Role.DOCTOR,
    Role.NURSE,
    Role.HOME_DOCTOR,
    Role.DISPATCHER,
    Role.DIRECTOR,
    Role.ADMIN,
    patient=True,
)
"""Staff who register, book, bill, treat or dispatch the patient, and the director; the patient
their own card (the cabinet, REC-19). Medical entries get their own, narrower grant (REC-13)."""


def check_can_register_in(principal: Principal, organization_id: UUID) -> None:
    """403 `organization_forbidden` for an organization the caller does not work for."""
    if not REGISTER_PATIENT.allows(principal, org_id=organization_id):
        raise OrganizationForbidden()


def check_can_read_patient(principal: Principal, patient: Patient) -> None:
    """Patients are registered per organization, not per branch, so `branch_ids` does not narrow
    this; another organization or another person answers 404 `patient_not_found`."""
    if not READ_PATIENT.allows(principal, org_id=patient.organization_id, patient_id=patient.id):
        raise PatientNotFound()
