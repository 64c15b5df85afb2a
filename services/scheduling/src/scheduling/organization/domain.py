"""Organization rules as plain Python: the policy and its presets, versions, hours (ORG-1..ORG-3).

Everything marked *(policy)* in domain-rules.md is a field of `Policy`, with the value each source
document uses in its preset (`O_PRESET`: the Almaty offer; `P_PRESET`: the Moscow program rules).
Nothing here touches SQLAlchemy or FastAPI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clinic_common.calendar import P_OPENING_HOURS, Country, OpeningHours, add_working_days
from clinic_common.calendar import OpeningInterval as CalendarInterval
from clinic_common.errors import AppError, NotFound
from clinic_common.schemas import LocalTime

Currency = Literal["KZT", "RUB"]
CountryCode = Literal["KZ", "RU"]


# --- errors -------------------------------------------------------------------------------------


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    title = "No such organization"


class InvalidTimeZone(AppError):
    status = 422
    code = "invalid_time_zone"
    title = "The time zone is not a known IANA zone"
    rule = "ORG-1"


class InvalidWeeklyHours(AppError):
    status = 422
    code = "invalid_weekly_hours"
    title = "Weekly hours overlap or are out of order"
    rule = "ORG-2"


class PolicyNoticeTooShort(AppError):
    status = 422
    code = "policy_notice_too_short"
    title = "A policy change must be published the required working days before it takes effect"
    rule = "ORG-3"


class NoPolicyInForce(AppError):
    status = 409
    code = "no_policy_in_force"
    title = "The organization has no policy in force on that date"
    rule = "ORG-3"


# --- weekly hours (ORG-2) -----------------------------------------------------------------------


class WeeklyInterval(BaseModel):
    """One interval of a weekly timetable in the branch's local wall-clock time; `closes` exclusive.

    The same shape as `OpeningInterval` of the `organization.upserted` payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekday: int = Field(ge=0, le=6)  # 0 = Monday
    opens: LocalTime
    closes: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyInterval:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("weekly hours are local wall-clock times; no tzinfo")
        if not self.opens < self.closes:
            raise ValueError("opens must be before closes")
        return self


def to_opening_hours(intervals: Iterable[WeeklyInterval]) -> OpeningHours:
    """The weekly list as `clinic_common.calendar.OpeningHours` (which refuses overlaps, ORG-2)."""
    days: dict[int, list[CalendarInterval]] = {}
    for i in intervals:
        days.setdefault(i.weekday, []).append(CalendarInterval(open=i.opens, close=i.closes))
    return OpeningHours(days={wd: tuple(ivs) for wd, ivs in days.items()})


def check_weekly_hours(intervals: Iterable[WeeklyInterval]) -> OpeningHours:
    """ORG-2: a branch's weekly hours as `OpeningHours`, refused when intervals of a day overlap."""
    try:
        return to_opening_hours(intervals)
    except ValidationError as exc:
        raise InvalidWeeklyHours("; ".join(str(e["msg"]) for e in exc.errors())) from exc


def from_opening_hours(hours: OpeningHours) -> tuple[WeeklyInterval, ...]:
    return tuple(
        WeeklyInterval(weekday=wd, opens=i.open, closes=i.close)
        for wd in sorted(hours.days)
        for i in hours.intervals(wd)
    )


def daily(opens: time, closes: time, weekdays: Iterable[int] = range(7)) -> tuple[WeeklyInterval, ...]:
    return tuple(WeeklyInterval(weekday=wd, opens=opens, closes=closes) for wd in weekdays)


# --- the policy (every *(policy)* value of domain-rules.md) ---------------------------------------


class LatenessOption(StrEnum):
    """What check-in may offer a late patient (SCH-7)."""

    SERVE = "serve"
    SHORTEN = "shorten"
    RESCHEDULE = "reschedule"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    REFUSE = "refuse"


class LatenessTier(BaseModel):
    """Options added once lateness is strictly more than `over_minutes` minutes, or (exactly one
    of the two is set) strictly more than `over_percent` % of the visit's length (SCH-7).
    Tiers are cumulative: every tier passed adds its options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    over_minutes: int | None = Field(default=None, ge=0)
    over_percent: int | None = Field(default=None, ge=0, le=100)
    options: tuple[LatenessOption, ...]
    source: str = ""

    @model_validator(mode="after")
    def _one_threshold(self) -> LatenessTier:
        if (self.over_minutes is None) == (self.over_percent is None):
            raise ValueError("a lateness tier has either over_minutes or over_percent")
        return self

    def passed(self, lateness_minutes: float, visit_minutes: int) -> bool:
        if self.over_minutes is not None:
            return lateness_minutes > self.over_minutes
        assert self.over_percent is not None
        return lateness_minutes * 100 > self.over_percent * visit_minutes


class LatenessPolicy(BaseModel):
    """SCH-7 (policy): tiers of options by lateness, the no-show cutoff, and refunds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tiers: tuple[LatenessTier, ...]
    no_show_after_minutes: int = Field(ge=1)
    refund_visit_lost_to_lateness: bool = False  # O 3.10: not refunded

    def options(self, lateness_minutes: float, visit_minutes: int) -> tuple[LatenessOption, ...]:
        """SCH-7: the options check-in offers for this lateness and visit length. On time (or
        early): serve. Late: the union of the options of every tier passed, in a stable order."""
        if lateness_minutes <= 0:
            return (LatenessOption.SERVE,)
        offered: set[LatenessOption] = set()
        for tier in self.tiers:
            if tier.passed(lateness_minutes, visit_minutes):
                offered.update(tier.options)
        return tuple(o for o in LatenessOption if o in offered)


# No visit is longer than this, whatever a policy sets (free-time queries rely on the bound).
MAX_VISIT_MINUTES = 120

QueueGroup = Literal["emergency", "returning", "on_time", "other"]
BookingChannel = Literal["website", "mobile_app", "call_center", "registry", "cabinet"]
MedicalChannel = Literal["in_person", "cabinet", "whatsapp"]
PaymentTiming = Literal["before_service", "after_act"]


class Policy(BaseModel):
    """An organization's policy: the numbers and switches of domain-rules.md marked *(policy)*."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    preset: str = Field(description="Which preset this version started from: O, P or custom")
    # ORG-2: defaults for the branches' timetables (P 11.1, P 11.2); each branch keeps its own.
    opening_hours: tuple[WeeklyInterval, ...]
    phone_booking_hours: tuple[WeeklyInterval, ...]
    # ORG-3: publish a change at least this many working days before it takes effect (O 15.1).
    offer_change_notice_working_days: int = Field(default=5, ge=0)
    # REC-2: photo/video consent given with acceptance of the offer (O 7.10.2) or asked for.
    photo_video_consent_with_offer: bool
    # REC-7: the ages from which the patient consents personally (P 8.3, P 8.4).
    personal_consent_age: int = Field(default=15, ge=0)
    personal_consent_age_drug_treatment: int = Field(default=16, ge=0)
    # REC-17: channels for medical information; e-mail is never one of them (P 9.4).
    medical_info_channels: tuple[MedicalChannel, ...]
    # SCH-2: a visit lasts 15 to 40 minutes (O 3.7); each practitioner sets it per visit type.
    visit_minutes_min: int = Field(default=15, ge=1, le=MAX_VISIT_MINUTES)
    visit_minutes_max: int = Field(default=40, ge=1, le=MAX_VISIT_MINUTES)
    # SCH-6: arrive this many minutes early with an identity document (O 3.13: 10; P 5.2: 15).
    arrive_early_minutes: int = Field(ge=0)
    # SCH-3: the shortest notice a booking through each channel may be made with. Neither source
    # states one; the registry books up to the start, remote channels leave time to prepare.
    booking_lead_minutes: dict[BookingChannel, int] = Field(
        default_factory=lambda: {  # type: ignore[arg-type]
            "website": 60,
            "mobile_app": 60,
            "cabinet": 60,
            "call_center": 30,
            "registry": 0,
        }
    )
    # SCH-7
    lateness: LatenessPolicy
    # SCH-13: an open debt blocks new paid bookings (O 8.3).
    debt_blocks_paid_booking: bool = True
    # SCH-14: calling order of the electronic queue (P 6.7; emergency first).
    queue_priority: tuple[QueueGroup, ...] = ("emergency", "returning", "on_time", "other")
    # BIL-4 / BIL-6: when the patient pays; extra services paid within N minutes (O 4.7).
    payment_timing: PaymentTiming
    extra_services_payment_minutes: int | None = Field(default=None, ge=1)
    estimate_and_act_required: bool = False
    # BIL-10: late payment penalty (O 8.13 allows one without a figure); None means none.
    late_payment_penalty_percent_per_day: Decimal | None = Field(default=None, ge=0)
    # HV-3: same-day cutoffs for planned home visits (P 7.4) and the intake hours (P 11.3).
    home_visit_cutoff_working_day: time = time(13, 0)
    home_visit_cutoff_day_off: time = time(12, 0)
    home_visit_intake_hours: tuple[WeeklyInterval, ...] = ()
    # HV-10: escalate a deterioration report to the call centre when not acknowledged in time.
    deterioration_ack_minutes: int = Field(default=30, ge=1)
    # Patient notifications (architecture.md § Events): remind of a booked visit this many minutes
    # before it (neither source names lead times; 24 h and 2 h by default), read by records.
    reminder_lead_minutes: tuple[int, ...] = Field(default=(24 * 60, 2 * 60), max_length=5)
    # REC-16: working days to prepare a document on a written application (P 9.5 names no term).
    document_due_working_days: dict[Literal["copy", "extract", "certificate"], int] = Field(
        default_factory=lambda: {"copy": 3, "extract": 5, "certificate": 3}  # type: ignore[arg-type]
    )

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if self.visit_minutes_min > self.visit_minutes_max:
            raise ValueError("visit_minutes_min must not exceed visit_minutes_max")
        to_opening_hours(self.opening_hours)  # refuses overlaps
        to_opening_hours(self.phone_booking_hours)
        if sorted(set(self.queue_priority)) != sorted(("emergency", "returning", "on_time", "other")):
            raise ValueError("queue_priority must order each queue group exactly once")
        if any(m <= 0 for m in self.reminder_lead_minutes):
            raise ValueError("reminder_lead_minutes must be positive")
        if any(d < 0 for d in self.document_due_working_days.values()):
            raise ValueError("document_due_working_days must not be negative")
        if any(m < 0 for m in self.booking_lead_minutes.values()):
            raise ValueError("booking lead times must not be negative")
        return self

    def visit_length_allowed(self, minutes: int) -> bool:
        """SCH-2: is a visit of this length inside the organization's range?"""
        return self.visit_minutes_min <= minutes <= self.visit_minutes_max

    def lead_minutes(self, channel: str) -> int:
        """SCH-3: the minimum notice of a booking through `channel` (0 where none is set)."""
        return int(self.booking_lead_minutes.get(channel, 0))  # type: ignore[call-overload]


# O preset (Almaty offer). The offer states no opening or phone hours (O 3.4: set by the
# administration), so these are the centre's own timetable.
O_PRESET = Policy(
    preset="O",
    opening_hours=(
        *daily(time(8, 0), time(20, 0), range(5)),
        WeeklyInterval(weekday=5, opens=time(9, 0), closes=time(17, 0)),
        WeeklyInterval(weekday=6, opens=time(10, 0), closes=time(15, 0)),
    ),
    phone_booking_hours=daily(time(8, 0), time(20, 0)),
    offer_change_notice_working_days=5,  # O 15.1
    photo_video_consent_with_offer=True,  # O 7.10.2
    medical_info_channels=("in_person", "cabinet", "whatsapp"),  # O 7.9: WhatsApp on request
    visit_minutes_min=15,  # O 3.7
    visit_minutes_max=40,
    arrive_early_minutes=10,  # O 3.13
    lateness=LatenessPolicy(
        tiers=(
            LatenessTier(
                over_minutes=0, options=(LatenessOption.SERVE, LatenessOption.SHORTEN), source="O 3.10"
            ),
            LatenessTier(over_percent=30, options=(LatenessOption.RESCHEDULE,), source="O conduct rules 2.3"),
            LatenessTier(
                over_minutes=10, options=(LatenessOption.RESCHEDULE, LatenessOption.CANCEL), source="O 5.2.9"
            ),
            LatenessTier(over_minutes=15, options=(LatenessOption.REFUSE,), source="O 3.7, O 6.1.14"),
        ),
        no_show_after_minutes=15,  # O 6.1.14
        refund_visit_lost_to_lateness=False,  # O 3.10
    ),
    debt_blocks_paid_booking=True,  # O 8.3
    payment_timing="before_service",  # O 4.1, O 4.3, O 5.2.5
    extra_services_payment_minutes=30,  # O 4.7
    estimate_and_act_required=False,
)

# P preset (Moscow program rules).
P_PRESET = Policy(
    preset="P",
    opening_hours=from_opening_hours(P_OPENING_HOURS),  # P 11.1
    phone_booking_hours=daily(time(7, 30), time(22, 0)),  # P 11.2
    offer_change_notice_working_days=5,
    photo_video_consent_with_offer=False,  # asked for separately
    medical_info_channels=("in_person", "cabinet"),  # P 9.1, P 9.3; never e-mail (P 9.4)
    visit_minutes_min=15,
    visit_minutes_max=40,
    arrive_early_minutes=15,  # P 5.2
    lateness=LatenessPolicy(
        tiers=(
            LatenessTier(
                over_minutes=0,
                options=(LatenessOption.SERVE, LatenessOption.RESCHEDULE, LatenessOption.TRANSFER),
                source="P 5.3, P 12.2.9",
            ),
        ),
        no_show_after_minutes=30,  # P is silent; the network's own cutoff
        refund_visit_lost_to_lateness=False,
    ),
    debt_blocks_paid_booking=True,
    payment_timing="after_act",  # P 4.6, P 12.2.5
    estimate_and_act_required=True,  # P 4.4, P 4.6
    home_visit_cutoff_working_day=time(13, 0),  # P 7.4
    home_visit_cutoff_day_off=time(12, 0),
    home_visit_intake_hours=daily(time(7, 30), time(22, 0)),  # P 11.3
)

PRESETS: dict[str, Policy] = {"O": O_PRESET, "P": P_PRESET}


# --- versions (ORG-3) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyVersion:
    effective_from: date
    policy: Policy


def policy_in_force(versions: Sequence[PolicyVersion], on: date) -> PolicyVersion:
    """ORG-3: the version in force on a local date is the latest that took effect on or before it."""
    candidates = [v for v in versions if v.effective_from <= on]
    if not candidates:
        raise NoPolicyInForce(f"no policy version takes effect on or before {on.isoformat()}")
    return max(candidates, key=lambda v: v.effective_from)


def earliest_effective_date(country: Country, published_on: date, notice_working_days: int) -> date:
    """ORG-3: published on `published_on`, a change takes effect no earlier than the
    `notice_working_days`-th working day after it (O 15.1: notice no later than 5 working days
    before; ORG-4 counts the organization's working days). Without notice: the same day."""
    if notice_working_days == 0:
        return published_on
    return add_working_days(country, published_on, notice_working_days)


def check_policy_change(
    country: Country, published_on: date, effective_from: date, notice_working_days: int
) -> None:
    """ORG-3: refuse a policy version that would take effect with too little notice."""
    earliest = earliest_effective_date(country, published_on, notice_working_days)
    if effective_from < earliest:
        raise PolicyNoticeTooShort(
            f"published on {published_on.isoformat()}, the change can take effect on "
            f"{earliest.isoformat()} at the earliest",
            earliest_effective_from=earliest.isoformat(),
        )


# --- organization identity (ORG-1) --------------------------------------------------------------


def check_time_zone(name: str) -> None:
    """ORG-1: times are shown in the organization's (and branch's) IANA zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidTimeZone(f"unknown time zone {name!r}") from exc
