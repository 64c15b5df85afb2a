"""Invoice rules as plain Python: pricing a line, the payer, what is due (BIL-1..4, BIL-6, BIL-8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import UUID

from clinic_common.errors import AppError
from clinic_common.money import Currency, Money


class PayerKind(StrEnum):
    """api.md enumeration of payers (BIL-8)."""

    PATIENT = "patient"
    INSURER = "insurer"
    LEGAL_ENTITY = "legal_entity"
    PROGRAM = "program"
    STATE = "state"
    THIRD_PARTY = "third_party"


class InvoiceNotFound(AppError):
    status = 404
    code = "invoice_not_found"
    title = "No such invoice"


class InvoiceNotOpen(AppError):
    status = 409
    code = "invoice_not_open"
    title = "The invoice is void or closed"


class ItemsAfterAct(AppError):
    status = 409
    code = "act_already_issued"
    title = "The act of rendered services is issued; add services to a new invoice"
    rule = "BIL-6"


@dataclass(frozen=True, slots=True)
class Payer:
    kind: PayerKind
    ref: str | None = None
    note: str | None = None


def resolve_payer(
    requested: str,
    ref: str | None,
    *,
    state_order: bool,
    insurer_policy: bool,
    enrollment_id: UUID | None,
) -> Payer:
    """BIL-8, BIL-2: who pays a booked visit. A state-order service is the state's whatever was
    asked (never the patient's, BIL-2); an insurer pays only with a policy on file (the referral
    and guarantee are checked through BIL-19); a program pays through its enrolment. Anything
    that cannot pay falls back to the patient, with the reason noted."""
    if state_order:
        return Payer(PayerKind.STATE, None, "BIL-2: state-order service")
    kind = PayerKind(requested) if requested in PayerKind.__members__.values() else PayerKind.PATIENT
    if kind is PayerKind.STATE:
        return Payer(PayerKind.PATIENT, None, "BIL-2: the service is not in the state order")
    if kind is PayerKind.INSURER:
        if ref is None or not insurer_policy:
            return Payer(PayerKind.PATIENT, None, "BIL-8: no insurance policy on file")
        return Payer(kind, ref)
    if kind is PayerKind.PROGRAM or enrollment_id is not None:
        return Payer(PayerKind.PROGRAM, str(enrollment_id) if enrollment_id else ref)
    return Payer(kind, ref)


@dataclass(frozen=True, slots=True)
class PricedLine:
    unit_price: Money
    amount: Money
    discount_percent: Decimal | None
    coverage: str | None
    coverage_rule: str | None


def price_line(
    list_price: Money,
    quantity: int,
    *,
    state_order: bool = False,
    emergency: bool = False,
    covered_by: str | None = None,
    covered_rule: str | None = None,
    discount_percent: Decimal | None = None,
) -> PricedLine:
    """BIL-1: the list price in force on the service day; BIL-2: a state-order service costs the
    patient nothing; BIL-3: emergency care during paid services is free; a covered line (program)
    costs nothing on the invoice; BIL-11: a discount lowers the unit price (rounded half up)."""
    zero = Money.zero(list_price.currency)
    if state_order:
        return PricedLine(zero, zero, None, "state", "BIL-2")
    if emergency:
        return PricedLine(zero, zero, None, "emergency", "BIL-3")
    if covered_by is not None:
        return PricedLine(zero, zero, None, covered_by, covered_rule)
    unit = list_price
    if discount_percent is not None and discount_percent > 0:
        unit = list_price - list_price.percent(discount_percent)
    return PricedLine(unit, unit * quantity, discount_percent, None, None)


def extra_item_due(received_at: datetime, minutes: int | None, end_of_day: datetime) -> datetime:
    """BIL-4: services added during the visit are paid within 30 minutes of being received
    (O 4.7); where the policy sets no term, by the end of the day (P 12.2.5)."""
    return received_at + timedelta(minutes=minutes) if minutes is not None else end_of_day


def status_of(total: int, adjusted: int, paid: int, void: bool) -> str:
    if void:
        return "void"
    due = total - adjusted - paid
    if due <= 0 and total - adjusted > 0:
        return "paid"
    if due <= 0:
        return "settled"
    return "partially_paid" if paid > 0 else "open"


class ExchangeRateRequired(AppError):
    status = 422
    code = "exchange_rate_required"
    title = "An invoice in a foreign currency needs the exchange rate it was issued at"
    rule = "BIL-5"


def convert(amount: Money, rate: Decimal, currency: Currency) -> Money:
    """BIL-5: an invoice issued in advance in a foreign currency: organization-currency amount
    over the rate (organization units per foreign unit), rounded half up to the minor unit."""
    if rate <= 0:
        raise ExchangeRateRequired("the exchange rate must be positive")
    exact = Decimal(amount.amount_minor) / rate
    return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), currency)
