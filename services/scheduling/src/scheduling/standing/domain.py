"""The patient's standing for a booking, as plain Python (SCH-9, SCH-10, SCH-13, BIL-4).

The facts come from other services (records: referrals, refusals of service; billing: debts,
enrolments, payments) through local projections; these functions decide with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from clinic_common.errors import AppError, Conflict

# SCH-13 / BIL-4: who pays. Money from the patient's side makes a booking "paid"; an insurer, a
# program, the state order or a contracted legal entity cover it.
PATIENT_PAID = frozenset({"patient", "third_party"})
# SCH-9 (P 12.2.4): under a program these are booked only on the attending practitioner's referral.
REFERRAL_CATEGORIES = frozenset({"instrumental", "procedure", "sample_collection"})
PREVENTIVE_WINDOW = timedelta(days=10)  # SCH-10, P 12.4.1: 10 days before to 10 after
PREVENTIVE_NOTICE = timedelta(days=3)  # SCH-10, P 12.4.4: booked at least 3 days before
NEWBORN = timedelta(days=30)  # "children in their first month of life" (P 12.4.4)


class DebtOpen(AppError):
    status = 403
    code = "debt_open"
    title = "The patient has an open debt; new paid bookings are refused"
    rule = "SCH-13"


class ServiceRefused(AppError):
    status = 403
    code = "service_refused"
    title = "The organization refused further service to this patient"
    rule = "SCH-13"


class ReferralRequired(AppError):
    status = 422
    code = "referral_required"
    title = "Under a program this service is booked only with a referral"
    rule = "SCH-9"


class ReferralNotValid(AppError):
    status = 422
    code = "referral_not_valid"
    title = "The referral is not this patient's, not for this service, or not valid on that day"
    rule = "SCH-9"


class ReferralUsed(Conflict):
    code = "referral_used"
    title = "The referral was already used by another booking"
    rule = "SCH-9"


class EnrollmentNotActive(AppError):
    status = 422
    code = "enrollment_not_active"
    title = "The patient has no active program enrolment covering that day"
    rule = "BIL-12"


class BookingTooLate(AppError):
    status = 422
    code = "booking_too_late"
    title = "A preventive event is booked at least 3 days before its date"
    rule = "SCH-10"


class OutsidePreventiveWindow(AppError):
    status = 422
    code = "outside_preventive_window"
    title = "A preventive event takes place within 10 days of its planned date"
    rule = "SCH-10"


class PaymentRequired(Conflict):
    code = "payment_required"
    title = "A paid visit does not start before it is paid"
    rule = "BIL-4"


def is_patient_paid(payer_kind: str) -> bool:
    return payer_kind in PATIENT_PAID


def check_standing(
    *, payer_kind: str, emergency: bool, open_debt: bool, refused_from: date | None, day: date
) -> None:
    """SCH-13: an open debt or a refusal of service (REC-22) blocks new paid bookings; emergency
    care never is refused (O 3.17, P 6.3)."""
    if emergency or not is_patient_paid(payer_kind):
        return
    if refused_from is not None and refused_from <= day:
        raise ServiceRefused(refused_from=refused_from.isoformat())
    if open_debt:
        raise DebtOpen()


@dataclass(frozen=True)
class Enrollment:
    id: UUID
    starts_on: date
    ends_on: date
    state: str
    preventive_plan: Sequence[Mapping[str, str]]

    def covers(self, day: date) -> bool:
        return self.state == "active" and self.starts_on <= day <= self.ends_on


def pick_enrollment(enrollments: Sequence[Enrollment], wanted: UUID | None, day: date) -> Enrollment:
    """BIL-12: the program booking's enrolment (the payer's `ref`, else the only one covering
    the day); it must be active and cover the visit's date."""
    covering = [e for e in enrollments if e.covers(day) and (wanted is None or e.id == wanted)]
    if len(covering) != 1:
        raise EnrollmentNotActive(day=day.isoformat())
    return covering[0]


@dataclass(frozen=True)
class Referral:
    id: UUID
    patient_id: UUID
    service_code: str
    issued_on: date
    valid_until: date | None
    used: bool


def needs_referral(category: str, requires_referral: bool) -> bool:
    """SCH-9: instrumental studies, procedures and sample collection, and whatever the catalogue
    marks so, need a referral under a program."""
    return requires_referral or category in REFERRAL_CATEGORIES


def check_referral(referral: Referral | None, *, patient_id: UUID, service_code: str, day: date) -> None:
    """SCH-9, REC-11: a referral in this patient's card, for this service, valid that day, unused."""
    if referral is None:
        raise ReferralNotValid("the referral is not known here")
    if referral.patient_id != patient_id or referral.service_code != service_code:
        raise ReferralNotValid("the referral is for another patient or service")
    if day < referral.issued_on or (referral.valid_until is not None and day > referral.valid_until):
        raise ReferralNotValid(
            "the referral is not valid on the visit's date",
            valid_until=referral.valid_until.isoformat() if referral.valid_until else None,
        )
    if referral.used:
        raise ReferralUsed()


def preventive_date(plan: Sequence[Mapping[str, str]], service_code: str) -> tuple[date, bool] | None:
    """SCH-10: the plan's date for the service and whether the practitioner set it (`set_on`)
    rather than the program planning it (`planned_on`); None when the plan has no such event."""
    for item in plan:
        if item.get("service_code") != service_code:
            continue
        try:
            if item.get("set_on"):
                return date.fromisoformat(item["set_on"]), True
            if item.get("planned_on"):
                return date.fromisoformat(item["planned_on"]), False
        except ValueError:
            return None
    return None


def check_preventive(
    plan_date: date, set_by_practitioner: bool, *, day: date, today: date, birth_date: date | None
) -> None:
    """SCH-10: within 10 days of the planned date (on the date a practitioner set, if one did),
    booked at least 3 days before the visit, except for a child in its first month of life."""
    if set_by_practitioner:
        if day != plan_date:
            raise OutsidePreventiveWindow(planned_on=plan_date.isoformat(), earliest=plan_date.isoformat())
    elif not plan_date - PREVENTIVE_WINDOW <= day <= plan_date + PREVENTIVE_WINDOW:
        raise OutsidePreventiveWindow(
            planned_on=plan_date.isoformat(),
            earliest=(plan_date - PREVENTIVE_WINDOW).isoformat(),
            latest=(plan_date + PREVENTIVE_WINDOW).isoformat(),
        )
    newborn = birth_date is not None and today - birth_date < NEWBORN
    if not newborn and day - today < PREVENTIVE_NOTICE:
        raise BookingTooLate(latest_booking_day=(day - PREVENTIVE_NOTICE).isoformat())


def may_start(*, payer_kind: str, emergency: bool, prepayment: bool, settled: bool) -> bool:
    """BIL-4 (O 5.2.5): under prepayment a paid visit starts only once paid; covered visits
    (insurer, program, state, legal entity) and emergency care (BIL-3) start at once."""
    return emergency or not prepayment or not is_patient_paid(payer_kind) or settled
