"""Who may see and change what in home visits: the service's one access policy.

Routes declare `GRANT.dependency()` (the role check, 403 `forbidden_role`); use cases call the
checks below with the loaded object. Several roles in one token follow `clinic_common.auth.policy`.
An object the caller may not see answers 404 as if it did not exist (api.md). Patient-facing
grants (`patient=True`) are where the personal-cabinet gate of REC-19 applies.
"""

from __future__ import annotations

from uuid import UUID

from clinic_common.auth import Grant, OrganizationForbidden, Principal, Role
from clinic_common.errors import AppError

READ_ZONES = Grant.of(
    Role.DISPATCHER,
    Role.REGISTRAR,
    Role.CALL_CENTER,
    Role.HOME_DOCTOR,
    Role.DIRECTOR,
    Role.ADMIN,
)
"""HV-4: those who take home-visit requests (registry, call centre), dispatch them, make them, or run
the organization decide which branch serves an address."""

REQUEST_VISIT = Grant.of(Role.REGISTRAR, Role.CALL_CENTER, Role.DISPATCHER, Role.ADMIN, patient=True)
"""HV-2, HV-3: the patient from the cabinet or app, the call centre and registry who take calls,
the dispatcher who takes urgent ones."""

READ_DAY = Grant.of(
    Role.DISPATCHER, Role.HOME_DOCTOR, Role.CALL_CENTER, Role.REGISTRAR, Role.DIRECTOR, Role.ADMIN
)
"""HV-9: a branch's day list, for who plans, makes, takes or oversees the visits."""

READ_VISIT = Grant.of(
    Role.DISPATCHER,
    Role.HOME_DOCTOR,
    Role.CALL_CENTER,
    Role.REGISTRAR,
    Role.DIRECTOR,
    Role.ADMIN,
    patient=True,
)
"""One visit: the same staff, and the patient their own."""

PLAN = Grant.of(Role.DISPATCHER, Role.ADMIN)
"""HV-9: dispatch assigns visits and orders routes."""

WORK_VISIT = Grant.of(Role.HOME_DOCTOR, Role.DISPATCHER, Role.ADMIN)
"""HV-7, HV-9: the doctor records the way, the arrival and the outcome (the dispatcher for them)."""

POSTPONE = Grant.of(Role.DISPATCHER, Role.ADMIN)
"""HV-6: the organization moves visits in force majeure."""

CANCEL = Grant.of(Role.DISPATCHER, Role.CALL_CENTER, Role.REGISTRAR, Role.ADMIN, patient=True)
"""Who took the request, and the patient their own."""

AGREE_ADDRESSES = Grant.of(Role.REGISTRAR, Role.ADMIN)
"""HV-8: the contract's home-care addresses are recorded by the registry at signing."""

APPLY_ADDRESS_CHANGE = Grant.of(Role.REGISTRAR, Role.ADMIN, patient=True)
"""HV-8 (P 12.6.4): the patient's application, filed in the cabinet or at the registry."""

READ_ADDRESSES = Grant.of(
    Role.REGISTRAR,
    Role.CALL_CENTER,
    Role.DISPATCHER,
    Role.HOME_DOCTOR,
    Role.DIRECTOR,
    Role.ADMIN,
    patient=True,
)

REPORT_DETERIORATION = Grant.of(Role.CALL_CENTER, Role.REGISTRAR, Role.ADMIN, patient=True)
"""HV-10 (P 5.5): the patient reports at once, by the cabinet or by calling."""

READ_REPORTS = Grant.of(Role.DOCTOR, Role.HOME_DOCTOR, Role.CALL_CENTER, Role.DIRECTOR, Role.ADMIN)
ACKNOWLEDGE_REPORT = Grant.of(Role.DOCTOR, Role.HOME_DOCTOR, Role.CALL_CENTER, Role.ADMIN)
"""HV-10: the attending doctor the report was routed to, or the call centre."""


class HomeVisitNotFound(AppError):
    status = 404
    code = "home_visit_not_found"
    title = "No such home visit"


class PatientNotFound(AppError):
    status = 404
    code = "patient_not_found"
    title = "No such patient"


class EnrollmentNotFound(AppError):
    status = 404
    code = "enrollment_not_found"
    title = "No such enrolment"


class ReportNotFound(AppError):
    status = 404
    code = "deterioration_report_not_found"
    title = "No such deterioration report"


def check_can_read_zones(principal: Principal, organization_id: UUID) -> None:
    """403 `organization_forbidden` for another organization. Zones decide between the branches, so
    staff limited by `branch_ids` still see all of their organization's zones (HV-4 needs them)."""
    if not READ_ZONES.allows(principal, org_id=organization_id):
        raise OrganizationForbidden()


def _doctor_only(principal: Principal, grant: Grant, *doctor_roles: Role) -> bool:
    """The caller acts only through a doctor's role of this grant (no dispatcher, admin, ...)."""
    granted = principal.roles & grant.staff
    return bool(granted) and granted <= {r.value for r in doctor_roles}


def check_can_request_for(principal: Principal, patient_id: UUID, organization_id: UUID | None) -> None:
    """A patient asks for themselves; staff for their organization's patients. `organization_id`
    None: the patient is not known here yet (the use case then answers 422 `patient_unknown`)."""
    if organization_id is None:
        if not REQUEST_VISIT.as_staff(principal) and principal.patient_id != patient_id:
            raise PatientNotFound()
        return
    if not REQUEST_VISIT.allows(principal, org_id=organization_id, patient_id=patient_id):
        raise PatientNotFound()


def check_can_read_day(principal: Principal, organization_id: UUID, branch_id: UUID) -> None:
    if not READ_DAY.allows(principal, org_id=organization_id, branch_id=branch_id):
        raise OrganizationForbidden()


def check_can_read_visit(principal: Principal, org_id: UUID, branch_id: UUID, patient_id: UUID) -> None:
    if not READ_VISIT.allows(principal, org_id=org_id, branch_id=branch_id, patient_id=patient_id):
        raise HomeVisitNotFound()


def check_can_plan(principal: Principal, organization_id: UUID, branch_id: UUID) -> None:
    if not PLAN.allows(principal, org_id=organization_id, branch_id=branch_id):
        raise OrganizationForbidden()


def check_can_work_visit(
    principal: Principal, org_id: UUID, branch_id: UUID, practitioner_id: UUID | None
) -> None:
    """A home-care doctor works only the visits assigned to them; the dispatcher the branch's."""
    if not WORK_VISIT.allows(principal, org_id=org_id, branch_id=branch_id):
        raise HomeVisitNotFound()
    if _doctor_only(principal, WORK_VISIT, Role.HOME_DOCTOR) and (
        practitioner_id is None or principal.staff_id != practitioner_id
    ):
        raise HomeVisitNotFound()


def check_can_change_visit(
    grant: Grant, principal: Principal, org_id: UUID, branch_id: UUID, patient_id: UUID
) -> None:
    """Assigning, postponing, cancelling: staff of the branch, or (cancel) the patient their own."""
    if not grant.allows(principal, org_id=org_id, branch_id=branch_id, patient_id=patient_id):
        raise HomeVisitNotFound()


def check_enrollment(grant: Grant, principal: Principal, org_id: UUID, patient_id: UUID) -> None:
    """Program addresses follow the patient: per organization, not per branch."""
    if not grant.allows(principal, org_id=org_id, patient_id=patient_id):
        raise EnrollmentNotFound()


def check_can_report_for(principal: Principal, org_id: UUID, patient_id: UUID) -> None:
    if not REPORT_DETERIORATION.allows(principal, org_id=org_id, patient_id=patient_id):
        raise PatientNotFound()


def check_can_read_reports(principal: Principal, org_id: UUID) -> None:
    if not READ_REPORTS.allows(principal, org_id=org_id):
        raise OrganizationForbidden()


def reports_limited_to(principal: Principal) -> UUID | None:
    """A doctor sees the reports routed to them; the call centre and the director all of them.
    Returns the practitioner the list is limited to (a doctor without `staff_id` sees none)."""
    if _doctor_only(principal, READ_REPORTS, Role.DOCTOR, Role.HOME_DOCTOR):
        return principal.staff_id or UUID(int=0)
    return None


def check_can_acknowledge(principal: Principal, org_id: UUID, practitioner_id: UUID | None) -> str:
    """HV-10: the routed doctor acknowledges their report; the call centre one escalated to it (or
    any, taking it over). Returns who acknowledged: `attending_doctor` or `call_center`."""
    if not ACKNOWLEDGE_REPORT.allows(principal, org_id=org_id):
        raise ReportNotFound()
    if (
        practitioner_id is not None
        and principal.staff_id == practitioner_id
        and principal.has_any(Role.DOCTOR, Role.HOME_DOCTOR)
    ):
        return "attending_doctor"
    if principal.has_any(Role.CALL_CENTER, Role.ADMIN):
        return "call_center"
    raise ReportNotFound()
