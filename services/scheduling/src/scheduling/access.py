"""Who may see and change what in scheduling: the service's one access policy.

Routes declare `GRANT.dependency()` (the role check, 403 `forbidden_role`); use cases call the
checks below with the loaded object. What a token with several roles may do is decided in
`clinic_common.auth.policy` (a staff role's grant, else the patient's own-data grant). Objects the
caller may not see answer as if they did not exist (api.md: 404, or the body's unknown-reference
422); actions refused on visible objects answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from clinic_common.auth import BranchForbidden, ForbiddenRole, Grant, Principal, Role
from clinic_common.auth.policy import in_branch
from clinic_common.auth.principal import WORKING_STAFF
from clinic_common.errors import UnknownEntity

from scheduling.appointment.domain import AppointmentNotFound
from scheduling.appointment.models import Appointment
from scheduling.attending.domain import Capacity
from scheduling.patient.domain import PatientNotFound
from scheduling.patient.models import PatientProjection
from scheduling.practitioner.domain import PractitionerNotFound
from scheduling.practitioner.models import Practitioner, Shift, ShiftExceptionRow

BOOK = Grant.of(Role.REGISTRAR, Role.CALL_CENTER, Role.ADMIN, patient=True)
"""SCH-3: booked at the registry, by the call centre, or by the patient (website, app, cabinet)."""

READ_APPOINTMENT = Grant.of(
    Role.REGISTRAR,
    Role.CALL_CENTER,
    Role.CASHIER,
    Role.DOCTOR,
    Role.NURSE,
    Role.DIRECTOR,
    Role.ADMIN,
    patient=True,
)
"""The registry and call centre that book it, the cashier who takes its payment (BIL-4), the clinical
staff who serve it, the director; the patient their own."""

CHANGE = Grant.of(Role.REGISTRAR, Role.CALL_CENTER, Role.ADMIN, patient=True)
"""SCH-12: a visit is cancelled or moved through any channel: the patient's own (website, app,
cabinet), the call centre, the registry."""

CHECK_IN = Grant.of(Role.REGISTRAR, Role.ADMIN)
"""SCH-14, SCH-7, SCH-3: the registry checks patients in, decides on late arrivals and takes in
walk-ins and emergencies."""

SERVE = Grant.of(Role.DOCTOR, Role.NURSE, Role.ADMIN)
"""SCH-14, SCH-8: the practitioner (and the nurse of the room) calls the next patient, takes one
out of turn, records that the called patient entered the room (O 3.15) and closes the visit."""

DELAY = Grant.of(Role.DOCTOR, Role.NURSE, Role.REGISTRAR, Role.ADMIN)
"""SCH-8: the practitioner delays a visit; the registry records it for them."""

READ_QUEUE = Grant.of(Role.REGISTRAR, Role.DOCTOR, Role.NURSE, Role.DIRECTOR, Role.ADMIN)
"""SCH-14: the practitioner's queue with its groups; the hall display shows numbers only."""

DECLARE_ABSENCE = Grant.of(Role.REGISTRAR, Role.DIRECTOR, Role.ADMIN)
"""SCH-11: the clinic declares a practitioner's illness or absence."""

MANAGE_SHIFTS = Grant.of(Role.DIRECTOR, Role.ADMIN)
"""SCH-1: the organization sets its practitioners' schedules."""

READ_SHIFTS = Grant.of(*WORKING_STAFF)
"""Working staff of the organization (SCH-1); patients see free slots instead."""

READ_ATTENDING = Grant.of(
    Role.REGISTRAR, Role.CALL_CENTER, Role.DOCTOR, Role.NURSE, Role.DIRECTOR, Role.ADMIN, patient=True
)
"""SCH-15: the patient their own attending practitioner (O 6.2.1); the registry and call centre
that act as the personal manager (P 12.2.3), the clinical staff who serve the patient, the
director for the organization (O 5.2.8)."""

CHOOSE_ATTENDING = Grant.of(patient=True)
"""SCH-15 (O 6.2.1): the patient chooses the attending practitioner and may ask to change, for
themselves only (P 12.2.3: a right of the patient or their trusted person)."""

MANAGE_ATTENDING = Grant.of(Role.CALL_CENTER, Role.REGISTRAR, Role.ADMIN)
"""SCH-15 (P 12.2.3): "to change the attending doctor, contact the personal manager": the call
centre and the registry act as the patient's personal manager."""

REPLACE_ATTENDING = Grant.of(Role.REGISTRAR, Role.DIRECTOR, Role.ADMIN)
"""SCH-15 (O 5.2.8): the organization may replace the attending practitioner; the registry or the
director acts for it."""

SET_ATTENDING = Grant(CHOOSE_ATTENDING.staff | MANAGE_ATTENDING.staff | REPLACE_ATTENDING.staff, patient=True)
"""The route's role check: whoever may act in one of the three capacities above."""


def check_can_book_for(principal: Principal, patient: PatientProjection) -> None:
    """A patient books only for themselves, staff for their organization's patients. Another
    person answers like an unknown one (422 `patient_unknown`), so the id reveals nothing."""
    if not BOOK.allows(principal, org_id=patient.organization_id, patient_id=patient.id):
        raise UnknownEntity("patient", patient.id)


def check_can_book_at(principal: Principal, organization_id: UUID, branch_id: UUID) -> None:
    """Staff limited by `branch_ids` book only at those branches (403 `branch_forbidden`); the
    branch is the one whose shift the visit falls in. A patient books at any branch."""
    if BOOK.as_staff(principal) and not in_branch(principal, organization_id, branch_id):
        raise BranchForbidden(f"This token does not act for branch {branch_id}")


def check_can_read_appointment(principal: Principal, appointment: Appointment) -> None:
    """404 `appointment_not_found` for another organization, branch or patient."""
    check_can_act_on(READ_APPOINTMENT, principal, appointment)


def check_can_act_on(grant: Grant, principal: Principal, appointment: Appointment) -> None:
    """An action on one appointment: staff of its organization (and branch), or its own patient
    where the grant lets patients act. Anything else answers as if it did not exist (404)."""
    if not grant.allows(
        principal,
        org_id=appointment.organization_id,
        branch_id=appointment.branch_id,
        patient_id=appointment.patient_id,
    ):
        raise AppointmentNotFound()


def check_can_act_for_practitioner(
    grant: Grant, principal: Principal, practitioner: Practitioner, branch_id: UUID | None = None
) -> None:
    """Staff act on the practitioners (queues, absences, schedules) of their own organization
    and, with `branch_ids` in the token, at those branches; others get 404."""
    if not grant.allows(principal, org_id=practitioner.organization_id, branch_id=branch_id):
        raise PractitionerNotFound()


def check_can_read_attending(principal: Principal, patient: PatientProjection) -> None:
    """Another organization's or another person's patient answers 404 `patient_not_found`."""
    if not READ_ATTENDING.allows(principal, org_id=patient.organization_id, patient_id=patient.id):
        raise PatientNotFound()


_BY_CAPACITY = {
    Capacity.PATIENT: CHOOSE_ATTENDING,
    Capacity.PERSONAL_MANAGER: MANAGE_ATTENDING,
    Capacity.ORGANIZATION: REPLACE_ATTENDING,
}


def attending_capacity(
    principal: Principal, patient: PatientProjection, wanted: Capacity | None
) -> tuple[Capacity, str]:
    """SCH-15: the capacity the caller changes the patient's attending practitioner in, and the
    role that allows it. Without `wanted`, staff act as the personal manager when one of their
    roles may, else for the organization; a patient for themselves. A capacity none of the
    caller's roles holds is 403 `forbidden_role`; a patient outside the caller's scope 404."""
    if wanted is None:
        staff = (
            c
            for c in (Capacity.PERSONAL_MANAGER, Capacity.ORGANIZATION)
            if _BY_CAPACITY[c].as_staff(principal)
        )
        wanted = next(staff, Capacity.PATIENT)
    grant = _BY_CAPACITY[wanted]
    if not grant.as_staff(principal) and not (grant.patient and Role.PATIENT in principal.roles):
        raise ForbiddenRole(f"none of this token's roles may act as `{wanted}` (SCH-15)", rule="SCH-15")
    if not grant.allows(principal, org_id=patient.organization_id, patient_id=patient.id):
        raise PatientNotFound()
    role = sorted(principal.roles & grant.staff)[0] if grant.as_staff(principal) else Role.PATIENT.value
    return wanted, role


def acting_channel(principal: Principal) -> str:
    """SCH-3, SCH-12: the channel a change came through when the request does not name one."""
    if CHECK_IN.as_staff(principal):
        return "registry"
    if Role.CALL_CENTER in principal.roles:
        return "call_center"
    return "cabinet"


@dataclass(frozen=True, slots=True)
class AppointmentFilter:
    """What a list of appointments may contain for the caller; None means "no limit on this"."""

    organization_id: UUID | None
    branch_ids: frozenset[UUID] | None
    patient_id: UUID | None


def visible_appointments(principal: Principal) -> AppointmentFilter:
    """The rows `GET /v1/appointments` may return (the same rule as `check_can_read_appointment`):
    staff their organization's (their branches' with `branch_ids`), a patient their own."""
    if READ_APPOINTMENT.as_staff(principal):
        return AppointmentFilter(principal.org_id, principal.branch_ids, None)
    if principal.patient_id is None or principal.org_id is None:
        return AppointmentFilter(principal.org_id, frozenset(), None)  # nothing
    return AppointmentFilter(principal.org_id, None, principal.patient_id)


def check_can_read_shifts(principal: Principal, practitioner: Practitioner) -> None:
    """Another organization's practitioner answers 404 `practitioner_not_found` here."""
    if not READ_SHIFTS.allows(principal, org_id=practitioner.organization_id):
        raise PractitionerNotFound()


def can_see_shift(principal: Principal, practitioner: Practitioner, shift: Shift | ShiftExceptionRow) -> bool:
    """Staff limited by `branch_ids` see the shifts at those branches only."""
    return READ_SHIFTS.allows(principal, org_id=practitioner.organization_id, branch_id=shift.branch_id)
