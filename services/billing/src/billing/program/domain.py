"""Program rules as plain Python (BIL-12 to BIL-18): the coverage engine, surcharges, sale checks.

The engine returns every reason that decided, each with its rule ID, so a registrar (and a test)
can go from "charged" to the clause of the program rules.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from clinic_common.errors import AppError
from clinic_common.money import Money

from billing.organization.domain import Band


class ProgramNotFound(AppError):
    status = 404
    code = "program_not_found"
    title = "No such program"


class EnrollmentNotFound(AppError):
    status = 404
    code = "enrollment_not_found"
    title = "No such enrolment"


class EnrollmentNotAllowed(AppError):
    status = 422
    code = "enrollment_not_allowed"
    title = "The program is not sold to a patient with a condition of P 12.8.3"
    rule = "BIL-12"


class EnrollmentNotActive(AppError):
    status = 409
    code = "enrollment_not_active"
    title = "The enrolment is not in a state that allows this"
    rule = "BIL-12"


class SurchargeNotFound(AppError):
    status = 404
    code = "surcharge_not_found"
    title = "No such surcharge"


class SurchargeDecided(AppError):
    status = 409
    code = "surcharge_already_decided"
    title = "The surcharge was already accepted or refused"


class ProgramExists(AppError):
    status = 409
    code = "program_exists"
    title = "The organization already has a program with this service code"


@dataclass(frozen=True, slots=True)
class Included:
    service_code: str
    times: int | None  # None: as often as prescribed
    terms: frozenset[str] = frozenset()  # clinic, home; empty: any
    without_referral: bool = False
    preventive_month: int | None = None


@dataclass(frozen=True, slots=True)
class Exclusion:
    kind: str  # category, disease, condition, dental, service
    code: str
    source: str


@dataclass(frozen=True, slots=True)
class ProgramTerms:
    referral_required: bool
    urgent_home_care: bool
    home_care_in_base_zone: bool
    documents: frozenset[str]
    included: tuple[Included, ...]
    exclusions: tuple[Exclusion, ...]

    def included_of(self, code: str) -> Included | None:
        return next((i for i in self.included if i.service_code == code), None)


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    code: str
    category: str
    preventive: bool
    state_order: bool
    requires_referral: bool


@dataclass(frozen=True, slots=True)
class CoverageRequest:
    day: date
    terms: str = "clinic"  # clinic, home, home_urgent
    has_referral: bool = False
    diagnosis: str | None = None
    band_km: float | None = None  # beyond the base zone, for home care
    emergency: bool = False


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str
    detail: str


@dataclass(frozen=True, slots=True)
class CoverageDecision:
    covered: bool
    payer: str  # program, patient, state, free
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def decide_coverage(
    program: ProgramTerms,
    *,
    starts_on: date,
    ends_on: date,
    status: str,
    service: ServiceFacts,
    request: CoverageRequest,
    used_times: int,
) -> CoverageDecision:
    """BIL-2, BIL-3, BIL-12..BIL-15, BIL-18: covered by the program, or charged and why."""
    if service.state_order:
        return CoverageDecision(
            False, "state", (Reason("BIL-2", "paid by the state order, never by the patient"),)
        )
    if request.emergency:
        return CoverageDecision(False, "free", (Reason("BIL-3", "emergency care is free"),))
    reasons: list[Reason] = []
    if status != "active":
        rule = "BIL-17" if status == "suspended" else "BIL-12"
        reasons.append(Reason(rule, f"the enrolment is {status}; a program is prepaid for its period"))
    outside = request.day < starts_on or request.day > ends_on
    if outside:
        reasons.append(Reason("BIL-13", f"rendered outside the program period {starts_on}..{ends_on}"))
        if service.preventive:
            reasons.append(
                Reason("BIL-14", "a planned service dated outside the period is charged separately")
            )
        if service.category in ("document", "medical_information") and request.day > ends_on:
            reasons.append(Reason("BIL-18", "medical information after the program ends is charged"))
    included = program.included_of(service.code)
    for ex in program.exclusions:
        if ex.kind == "service" and ex.code == service.code:
            reasons.append(Reason("BIL-13", f"excluded ({ex.source}): {ex.code}"))
        elif ex.kind in ("category", "dental") and ex.code == service.category:
            reasons.append(Reason("BIL-13", f"excluded ({ex.source}): category {ex.code}"))
        elif ex.kind == "disease" and request.diagnosis and _icd_matches(request.diagnosis, ex.code):
            reasons.append(Reason("BIL-13", f"excluded ({ex.source}): treatment of {ex.code}"))
    if service.category == "document" and service.code not in program.documents:
        reasons.append(Reason("BIL-18", "a document beyond the program's list is charged"))
    elif included is None:
        if service.preventive:
            reasons.append(Reason("BIL-13", "a preventive service the program does not include"))
        elif service.category != "document":
            reasons.append(Reason("BIL-13", "not included in the program"))
    else:
        if included.times is not None and used_times >= included.times:
            reasons.append(Reason("BIL-12", f"included {included.times} time(s), all used"))
        needs_referral = program.referral_required and not included.without_referral
        if needs_referral and not request.has_referral:
            reasons.append(Reason("BIL-13", "requested without a doctor's referral (P 12.1.1)"))
        base_terms = "home" if request.terms.startswith("home") else request.terms
        if included.terms and base_terms not in included.terms:
            reasons.append(
                Reason("BIL-13", f"included on {sorted(included.terms)} terms, rendered at {base_terms}")
            )
        if request.terms == "home_urgent" and not program.urgent_home_care:
            reasons.append(Reason("BIL-13", "urgent home care is not in the program (P 12.3.1)"))
        if base_terms == "home" and request.band_km is not None:
            reasons.append(Reason("BIL-15", f"home care outside the base zone ({request.band_km} km band)"))
    if reasons:
        return CoverageDecision(False, "patient", tuple(reasons))
    return CoverageDecision(
        True, "program", (Reason("BIL-12", "included in the program and within its terms"),)
    )


def _icd_matches(diagnosis: str, code: str) -> bool:
    """ICD-10 prefix match: an exclusion of `E10` covers `E10.9`; a range `C00-D48` by letter and number."""
    d = diagnosis.upper().strip()
    c = code.upper().strip()
    if "-" in c:
        low, high = (p.strip() for p in c.split("-", 1))
        return low <= d[: len(low)] <= high
    return d.startswith(c)


def blocked_at_sale(conditions: Sequence[str], program: ProgramTerms) -> list[str]:
    """BIL-12: the patient's conditions that P 12.8.3 (the program's `condition` exclusions) bars."""
    barred = {e.code for e in program.exclusions if e.kind == "condition"}
    return sorted(c for c in conditions if c in barred)


def period_end(starts_on: date, months: int) -> date:
    """A program of `months` months from `starts_on` ends the day before the same date `months` later."""
    month = starts_on.month - 1 + months
    year = starts_on.year + month // 12
    month = month % 12 + 1
    day = min(starts_on.day, calendar.monthrange(year, month)[1])
    return date.fromordinal(date(year, month, day).toordinal() - 1)


def band_percent(bands: Sequence[Band], band_km: float | None) -> int | None:
    """BIL-16: the surcharge percent of the band containing `band_km` (upper bounds inclusive);
    None inside the base zone (0); beyond the last band the address is not served (raises)."""
    if band_km is None or band_km <= 0:
        return 0
    for band in sorted(bands, key=lambda b: b.up_to_km):
        if band_km <= band.up_to_km:
            return band.percent
    return None


def zone_surcharge(
    program_price: Money, bands: Sequence[Band], old_band_km: float | None, new_band_km: float | None
) -> tuple[Decimal, Money] | None:
    """BIL-16: moving outside the base zone or into a farther band may be surcharged on the
    program price at the price list of the day of the application, whatever time remains: the
    new band's percent less what the old band already carried. None when nothing is owed."""
    new = band_percent(bands, new_band_km)
    old = band_percent(bands, old_band_km) or 0
    if new is None:
        raise AddressNotServed(f"{new_band_km} km is beyond the last distance band")
    delta = new - old
    if delta <= 0:
        return None
    return Decimal(delta), program_price.percent(delta)


class AddressNotServed(AppError):
    status = 422
    code = "address_not_served"
    title = "Beyond the last distance band the address is not served"
    rule = "BIL-16"


HEALTH_GROUP_SURCHARGE_PERCENT = Decimal(50)
RAISING_HEALTH_GROUPS = frozenset({"2B", "2Б", "3"})


def health_group_surcharge(
    program_price: Money, starts_on: date, ends_on: date, established_on: date
) -> tuple[Decimal, Money] | None:
    """BIL-17: 50 % of the fee, pro rata for the rest of the period counted from the day the
    condition was established (days remaining, that day included, over the period's days)."""
    if established_on > ends_on:
        return None
    first = max(established_on, starts_on)
    remaining = (ends_on - first).days + 1
    total = (ends_on - starts_on).days + 1
    share = HEALTH_GROUP_SURCHARGE_PERCENT * Decimal(remaining) / Decimal(total)
    amount = program_price.allocate([remaining, total - remaining])[0].percent(HEALTH_GROUP_SURCHARGE_PERCENT)
    return share.quantize(Decimal("0.0001")), amount


def offset_value(price: Money, remaining_advance: Money) -> Money:
    """A service rendered under a prepaid program is offset against the advance at its price in
    force that day, never beyond what is left of the advance (so offsets never exceed it)."""
    return min(price, remaining_advance) if remaining_advance.is_positive() else Money.zero(price.currency)
