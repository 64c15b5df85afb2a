"""Home-visit requests and their lifecycle as plain Python (HV-1 to HV-3, HV-5 to HV-7, HV-9).

Every function takes plain values (including `now`) and returns a decision or raises the rule's
error; nothing here touches the database or HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from clinic_common.calendar import Country, is_working_day, to_local
from clinic_common.errors import AppError

from home_visits.enrollment.domain import Enrollment
from home_visits.organization.domain import HomeVisitPolicy
from home_visits.zone.domain import ZoneDecision

PREPARATION_LIMIT = timedelta(minutes=15)
"""HV-7 (P 7.9): preparing the patient takes at most 15 minutes from the doctor's arrival."""


class VisitKind(StrEnum):
    PLANNED = "planned"  # daytime (HV-2, P 7.2)
    URGENT = "urgent"  # around the clock, served at once when accepted (HV-2, P 7.3)


class VisitStatus(StrEnum):
    """HV-9: requested -> scheduled (date) -> assigned -> en route -> arrived -> an outcome."""

    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    FALSE_CALL = "false_call"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


S = VisitStatus
TRANSITIONS: Mapping[VisitStatus, frozenset[VisitStatus]] = {
    S.REQUESTED: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.ASSIGNED, S.POSTPONED, S.CANCELLED}),
    # Re-planning moves an assigned visit to another doctor or place: assigned -> assigned.
    S.ASSIGNED: frozenset({S.ASSIGNED, S.EN_ROUTE, S.POSTPONED, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ARRIVED, S.POSTPONED, S.CANCELLED}),
    S.ARRIVED: frozenset({S.COMPLETED, S.FALSE_CALL}),
    S.COMPLETED: frozenset(),
    S.FALSE_CALL: frozenset(),
    S.POSTPONED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_STATUSES = frozenset({S.REQUESTED, S.SCHEDULED, S.ASSIGNED, S.EN_ROUTE, S.ARRIVED})
PLANNABLE_STATUSES = frozenset({S.SCHEDULED, S.ASSIGNED})
"""Dispatch re-plans only visits no doctor has set out for (HV-9)."""


class FalseCallReason(StrEnum):
    """HV-7 (P 7.8, P 7.10, P 12.5.2), api.md's false-call `reason` enumeration."""

    PATIENT_ABSENT = "patient_absent"
    DOCTOR_REFUSED_ENTRY = "doctor_refused_entry"
    PREPARATION_OVER_15_MIN = "preparation_over_15_min"
    CARE_REFUSED = "care_refused"
    OTHER_PATIENT_SIDE = "other_patient_side"
    NO_INDICATIONS = "no_indications"  # program patients only
    NO_HOME_REGIME_NEEDED = "no_home_regime_needed"  # program patients only


PROGRAM_ONLY_REASONS = frozenset({FalseCallReason.NO_INDICATIONS, FalseCallReason.NO_HOME_REGIME_NEEDED})


# --- errors -------------------------------------------------------------------------------------


class InvalidTransition(AppError):
    status = 409
    code = "invalid_transition"
    title = "The visit's status does not allow this step"
    rule = "HV-9"


class UrgentNotInProgram(AppError):
    status = 422
    code = "urgent_not_in_program"
    title = "The patient's program has no urgent home care: planned visits only"
    rule = "HV-2"


class OutsideIntakeHours(AppError):
    status = 422
    code = "outside_intake_hours"
    title = "Planned home-visit requests are taken in the intake hours"
    rule = "HV-3"


class ClinicConditionsNeeded(AppError):
    status = 422
    code = "home_visit_not_possible"
    title = "The care needs clinic conditions, or the patient's state does not allow care at home"
    rule = "HV-1"


class EnrollmentNotOfPatient(AppError):
    status = 422
    code = "enrollment_not_of_patient"
    title = "The enrolment belongs to another patient"
    rule = "BIL-12"


class FalseCallReasonNotAllowed(AppError):
    status = 422
    code = "false_call_reason_not_allowed"
    title = "This false-call reason applies to program patients only"
    rule = "HV-7"


class PreparationNotOver(AppError):
    status = 422
    code = "preparation_time_not_exceeded"
    title = "Fifteen minutes of preparation have not passed since the doctor's arrival"
    rule = "HV-7"


# --- HV-2, HV-3: kind, intake hours, the date ---------------------------------------------------


def check_kind(kind: VisitKind, enrollment: Enrollment | None) -> None:
    """HV-2 (P 12.3.1): a program without urgent home care gets planned visits only."""
    if kind is VisitKind.URGENT and enrollment is not None and not enrollment.urgent_home_care:
        raise UrgentNotInProgram()


def check_intake(kind: VisitKind, local_now: datetime, policy: HomeVisitPolicy) -> None:
    """HV-3 (P 11.3): planned requests only in the intake hours; urgent ones around the clock."""
    if kind is VisitKind.PLANNED and not policy.takes_requests_at(local_now):
        raise OutsideIntakeHours(f"Requests are not taken at {local_now.strftime('%H:%M')} local time")


def cutoff_for(day: date, country: Country, policy: HomeVisitPolicy) -> time:
    """HV-3 (P 7.4): 13:00 on a working day, 12:00 on a weekend or public holiday (policy)."""
    return policy.cutoff_working_day if is_working_day(country, day) else policy.cutoff_day_off


def scheduled_for(
    kind: VisitKind, received_at: datetime, tz_name: str, country: Country, policy: HomeVisitPolicy
) -> date:
    """HV-3: the day of the visit, in the organization's time zone. Before the day's cutoff the
    same day, from the cutoff on the next day; urgent visits are served at once (HV-2)."""
    local = to_local(received_at, tz_name)
    today = local.date()
    if kind is VisitKind.URGENT:
        return today
    if local.time().replace(tzinfo=None) < cutoff_for(today, country, policy):
        return today
    return today + timedelta(days=1)


# --- HV-1, HV-5: triage, and what it means for coverage -----------------------------------------


INDICATIONS = (
    "temperature_above_38",
    "catarrhal_with_dyspnea",
    "vomiting_or_diarrhea",
    "rash",
    "cannot_travel",
)
"""HV-5 (P 12.3.5), in the order of the source."""


def check_home_care_possible(needs_clinic_conditions: bool, state_allows_home_care: bool) -> None:
    """HV-1 (P 7.1): only care that needs no clinic conditions, for a state that allows it at home."""
    if needs_clinic_conditions or not state_allows_home_care:
        raise ClinicConditionsNeeded()


def indicated(answers: Mapping[str, bool]) -> bool:
    """HV-5: any of the program's indications for a home visit is present."""
    return any(answers.get(name, False) for name in INDICATIONS)


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str
    detail: str


@dataclass(frozen=True, slots=True)
class Coverage:
    """Covered by the program or charged, with the rules that decided (api.md coverage shape)."""

    covered: bool
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {
            "covered": self.covered,
            "reasons": [{"rule": r.rule, "detail": r.detail} for r in self.reasons],
        }


def local_coverage(
    *,
    kind: VisitKind,
    day: date,
    enrollment: Enrollment | None,
    answers: Mapping[str, bool],
    zone: ZoneDecision,
    program_address_band_agreed: bool,
) -> Coverage:
    """What home-visits knows about coverage (billing has the last word, BIL-13):
    - no program, or a day outside its period or while it is suspended: charged (BIL-12, BIL-14);
    - under a program, no HV-5 indication: charged (HV-5, BIL-13: not on the program's terms);
    - outside the base zone: charged separately (BIL-15), unless the address is a program address
      whose band was agreed with its surcharge (HV-8, BIL-16)."""
    reasons: list[Reason] = []
    if enrollment is None:
        return Coverage(False, (Reason("BIL-12", "no program: charged at the price list"),))
    if not enrollment.in_force_on(day):
        reasons.append(Reason("BIL-14", f"the program does not serve on {day.isoformat()}"))
    if not indicated(answers):
        reasons.append(Reason("HV-5", "none of the program's indications for a home visit was reported"))
    if kind is VisitKind.URGENT:
        reasons.append(Reason("HV-2", "urgent home care is included in the program"))
    if not zone.inside_base_zone and zone.distance_km is not None:
        if program_address_band_agreed:
            reasons.append(
                Reason("BIL-16", "a program address: its distance band was agreed with its surcharge")
            )
        else:
            band = f" ({zone.distance_km} km beyond the base zone)"
            reasons.append(Reason("BIL-15", "outside the base zone: home care is charged separately" + band))
    charged = {"BIL-14", "HV-5", "BIL-15"}
    return Coverage(not any(r.rule in charged for r in reasons), tuple(reasons))


# --- HV-6, HV-7, HV-9: the lifecycle ------------------------------------------------------------


def check_transition(current: VisitStatus | str, target: VisitStatus) -> None:
    """HV-9: only the steps of the lifecycle; anything else (arrival recorded twice, completing a
    cancelled visit) is 409 `invalid_transition`."""
    status = VisitStatus(current)
    if target not in TRANSITIONS[status]:
        raise InvalidTransition(f"A visit that is {status.value} cannot become {target.value}")


def preparation_deadline(arrived_at: datetime) -> datetime:
    """HV-7: the 15-minute preparation clock starts on arrival."""
    return arrived_at + PREPARATION_LIMIT


def check_false_call(
    reason: FalseCallReason, *, under_program: bool, arrived_at: datetime | None, now: datetime
) -> None:
    """HV-7: the reasons of P 7.8; the two of P 12.3.5/12.5.2 only for program patients; a false
    call for preparation only once the 15 minutes have passed."""
    if reason in PROGRAM_ONLY_REASONS and not under_program:
        raise FalseCallReasonNotAllowed(f"`{reason.value}` applies to program patients only")
    if reason is FalseCallReason.PREPARATION_OVER_15_MIN and (
        arrived_at is None or now <= preparation_deadline(arrived_at)
    ):
        raise PreparationNotOver()


def postponed_to(today: date, scheduled: date) -> date:
    """HV-6 (P 7.7): in force majeure the visit moves to the next day (after its own day, and
    never into the past)."""
    return max(today, scheduled) + timedelta(days=1)


def service_code(kind: VisitKind) -> str:
    """The catalogue service billing charges for a visit of this kind (billing's demo codes)."""
    return "home_visit_urgent" if kind is VisitKind.URGENT else "home_visit_planned"


FALSE_CALL_SERVICE_CODE = "home_visit_false_call"


def open_statuses() -> Sequence[str]:
    return [s.value for s in OPEN_STATUSES]
