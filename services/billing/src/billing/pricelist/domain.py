"""Price list rules as plain Python (BIL-1, BIL-5): which version is in force, what a version may hold."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from clinic_common.calendar import local_date
from clinic_common.errors import AppError


class PriceListNotFound(AppError):
    status = 404
    code = "price_list_not_found"
    title = "No price list is in force for the organization at that time"
    rule = "BIL-1"


class PriceListVersionExists(AppError):
    status = 409
    code = "price_list_version_exists"
    title = "The organization already has a price list version taking effect on that date"
    rule = "BIL-1"


class EffectiveFromInPast(AppError):
    status = 422
    code = "effective_from_in_past"
    title = "A new price list version cannot take effect before today"
    rule = "BIL-1"


class DuplicateServiceCode(AppError):
    status = 422
    code = "duplicate_service_code"
    title = "A price list version lists each service once"
    rule = "BIL-1"


class CurrencyNotAccepted(AppError):
    status = 422
    code = "currency_not_accepted"
    title = "Prices are in the organization's currency only"
    rule = "BIL-5"


@dataclass(frozen=True, slots=True)
class VersionRef:
    id: UUID
    effective_from: date


def price_list_day(at: datetime, time_zone: str) -> date:
    """BIL-1: a service costs the price in force on the day it is rendered, and that day is the
    organization's local date (20:00Z on 31 Dec is already 1 Jan in Almaty)."""
    return local_date(at, time_zone)


def version_in_force(versions: Iterable[VersionRef], on: date) -> VersionRef | None:
    """BIL-1: the version in force on a date is the one with the latest `effective_from` on or
    before it; before the first version there is none."""
    best: VersionRef | None = None
    for v in versions:
        if v.effective_from <= on and (best is None or v.effective_from > best.effective_from):
            best = v
    return best


def check_effective_from(effective_from: date, today: date) -> None:
    """BIL-1: a service costs the price in force on the day it was rendered, so a new version
    takes effect today or later and never reprices days already past."""
    if effective_from < today:
        raise EffectiveFromInPast(
            f"effective_from {effective_from} is before today ({today}) in the organization's time zone",
            today=today.isoformat(),
        )


def check_unique_codes(codes: Iterable[str]) -> None:
    """BIL-1: one price per service in a version, the same wherever it is shown."""
    duplicates = sorted(code for code, n in Counter(codes).items() if n > 1)
    if duplicates:
        raise DuplicateServiceCode(
            f"listed more than once: {', '.join(duplicates)}", service_codes=duplicates
        )


def check_currency(prices: Iterable[tuple[str, str]], organization_currency: str) -> None:
    """BIL-5: only the organization's currency is accepted, so its price list is in that currency.
    `prices` are (service_code, currency) pairs."""
    foreign = sorted(code for code, currency in prices if currency != organization_currency)
    if foreign:
        raise CurrencyNotAccepted(
            f"prices must be in {organization_currency}; not so for: {', '.join(foreign)}",
            currency=organization_currency,
            service_codes=foreign,
        )
