"""The public offer and written contracts as plain rules (REC-3, REC-4, ORG-3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from clinic_common.calendar import Country, add_working_days
from clinic_common.errors import AppError

OFFER_VALIDITY_YEARS = 5  # REC-3, O 1.5


class AcceptanceAct(StrEnum):
    """REC-3 (O 1.8-1.9): what accepts the offer, whichever comes first."""

    CALL_CENTER_BOOKING = "call_center_booking"
    PAYMENT = "payment"
    SERVICE_RECEIVED = "service_received"
    SIGNATURE = "signature"


class OfferNoticeTooShort(AppError):
    status = 422
    code = "offer_notice_too_short"
    title = "An offer change is published and notified at least 5 working days before it takes effect"
    rule = "ORG-3"


class NoOfferInForce(AppError):
    status = 409
    code = "no_offer_in_force"
    title = "The organization has no offer version in force on that date"
    rule = "REC-3"


def earliest_effective(country: Country, published_on: date, notice_working_days: int) -> date:
    """ORG-3 (O 15.1): a change takes effect no earlier than the `notice`-th working day after
    its publication, so patients are notified no later than that many working days before."""
    return (
        published_on
        if notice_working_days == 0
        else add_working_days(country, published_on, notice_working_days)
    )


def check_offer_notice(
    country: Country, published_on: date, effective_from: date, notice_working_days: int
) -> None:
    earliest = earliest_effective(country, published_on, notice_working_days)
    if effective_from < earliest:
        raise OfferNoticeTooShort(
            f"published on {published_on.isoformat()}, the version can take effect on "
            f"{earliest.isoformat()} at the earliest",
            earliest_effective_from=earliest.isoformat(),
        )


def default_valid_to(effective_from: date) -> date:
    """REC-3 (O 1.5): an offer is valid for five years."""
    try:
        return effective_from.replace(year=effective_from.year + OFFER_VALIDITY_YEARS)
    except ValueError:  # 29 February
        return effective_from.replace(year=effective_from.year + OFFER_VALIDITY_YEARS, day=28)


@dataclass(frozen=True)
class OfferPeriod:
    id: UUID
    effective_from: date
    valid_to: date


def offer_in_force(versions: Sequence[OfferPeriod], on: date) -> OfferPeriod | None:
    """ORG-3/REC-3: the published version in force on a local date is the latest that took effect
    on or before it and has not expired; using services after a new version took effect accepts
    that version (O 15.3)."""
    candidates = [v for v in versions if v.effective_from <= on < v.valid_to]
    return max(candidates, key=lambda v: v.effective_from) if candidates else None


def contract_copies(*, customer_is_patient: bool, patient_age: int) -> int:
    """REC-4 (P 4.3): two copies when the customer is the patient or the patient is under 15;
    three when customer and patient differ and the patient is 15 or older."""
    if customer_is_patient or patient_age < 15:
        return 2
    return 3
