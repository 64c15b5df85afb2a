"""Discount rules as plain Python (BIL-11)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from clinic_common.errors import AppError


class SocialDiscountForbidden(AppError):
    status = 422
    code = "social_discount_forbidden"
    title = "No discount is given on social grounds (disability, pension age, large family)"
    rule = "BIL-11"


class PromotionPeriodRequired(AppError):
    status = 422
    code = "promotion_period_required"
    title = "A promotion is time-limited: it needs valid_from and valid_to, in order"
    rule = "BIL-11"


class IndividualDiscountIncomplete(AppError):
    status = 422
    code = "individual_discount_incomplete"
    title = "An individual discount needs the patient and their written application with documents"
    rule = "BIL-11"


class DiscountPercentInvalid(AppError):
    status = 422
    code = "discount_percent_invalid"
    title = "A discount is more than 0 and at most 100 percent"
    rule = "BIL-11"


def check_percent(percent: Decimal) -> None:
    if not Decimal(0) < percent <= Decimal(100):
        raise DiscountPercentInvalid()


class DiscountNotFound(AppError):
    status = 404
    code = "discount_not_found"
    title = "No such discount"


class DiscountNotPending(AppError):
    status = 409
    code = "discount_not_pending"
    title = "Only a discount awaiting approval can be approved"
    rule = "BIL-11"


# O 12.2: disability, pension age, large family, in the words a registry would type (RU, KZ, EN).
_SOCIAL = re.compile(
    r"(disab|invalid|инвалид|мүгедек|pension|pensioner|retire|пенсион|зейнет|senior|"
    r"large[ _-]?famil|many[ _-]?children|многодет|көпбалал|social|социальн|льгот)"
)


def is_social_basis(basis: str) -> bool:
    """BIL-11: does the basis name a social ground? Matched on the normalized text."""
    text = unicodedata.normalize("NFKC", basis).casefold()
    return _SOCIAL.search(text) is not None


def check_basis(basis: str) -> None:
    """BIL-11: every discount names its basis, and none is social."""
    if is_social_basis(basis):
        raise SocialDiscountForbidden(f"basis {basis!r} is a social ground (O 12.2)", basis=basis)


def check_promotion_period(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from is None or valid_to is None or valid_to < valid_from:
        raise PromotionPeriodRequired()


@dataclass(frozen=True, slots=True)
class DiscountTerms:
    id: UUID
    kind: str
    percent: Decimal
    service_codes: frozenset[str] | None
    valid_from: date | None
    valid_to: date | None
    patient_id: UUID | None
    active: bool

    def applies(self, service_code: str, day: date, patient_id: UUID) -> bool:
        if not self.active:
            return False
        if self.service_codes is not None and service_code not in self.service_codes:
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        if self.valid_to is not None and day > self.valid_to:
            return False
        return self.kind != "individual" or self.patient_id == patient_id


def best_discount(
    candidates: Iterable[DiscountTerms], service_code: str, day: date, patient_id: UUID
) -> DiscountTerms | None:
    """BIL-11: the largest discount that applies (discounts do not add up)."""
    applicable = [d for d in candidates if d.applies(service_code, day, patient_id)]
    return max(applicable, key=lambda d: (d.percent, str(d.id)), default=None)
