"""Payment rules as plain Python (BIL-4, BIL-5, BIL-7)."""

from __future__ import annotations

from enum import StrEnum

from clinic_common.errors import AppError
from clinic_common.money import Money

from billing.pricelist.domain import CurrencyNotAccepted


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"


class ExcessHandling(StrEnum):
    """What to do with the part of a payment beyond the balance due: refuse it, or keep it as the
    patient's credit (an advance), said explicitly."""

    REFUSE = "refuse"
    CREDIT = "credit"


class AmountNotPositive(AppError):
    status = 422
    code = "amount_not_positive"
    title = "A payment is a positive amount"
    rule = "BIL-7"


class CurrencyMismatch(AppError):
    status = 422
    code = "currency_mismatch"
    title = "The payment's currency is not the invoice's"
    rule = "BIL-5"


class AmountMismatch(AppError):
    status = 422
    code = "amount_mismatch"
    title = "The amount exceeds the balance due; pay the balance, or ask to keep the excess as credit"
    rule = "BIL-4"


class PaymentNotFound(AppError):
    status = 404
    code = "payment_not_found"
    title = "No such payment"


class NoCredit(AppError):
    status = 409
    code = "no_credit"
    title = "The patient has no credit to draw on, or the invoice owes nothing"


def check_currency(
    method: PaymentMethod, currency: str, *, organization: str, invoice: str, bank_transfer_only: bool
) -> None:
    """BIL-5: only the organization's currency at the cashier; a foreign currency only by bank
    transfer against an invoice issued in advance in it. The payment is in the invoice's currency."""
    if currency != organization and (method is not PaymentMethod.BANK_TRANSFER or currency != invoice):
        raise CurrencyNotAccepted(
            f"{currency} is accepted only by bank transfer against an invoice issued in it", currency=currency
        )
    if bank_transfer_only and method is not PaymentMethod.BANK_TRANSFER:
        raise CurrencyNotAccepted("this invoice is paid by bank transfer only", currency=invoice)
    if currency != invoice:
        raise CurrencyMismatch(f"the invoice is in {invoice}", currency=invoice)


def split(amount: Money, due: Money, excess: ExcessHandling) -> tuple[Money, Money]:
    """BIL-4/BIL-7: (applied to the invoice, kept as the patient's credit). An amount beyond what is
    due is refused unless the payer asked for the excess to be kept as credit."""
    if not amount.is_positive():
        raise AmountNotPositive()
    owed = max(due, Money.zero(due.currency))
    if amount <= owed:
        return amount, Money.zero(amount.currency)
    if excess is ExcessHandling.REFUSE:
        raise AmountMismatch(f"{amount} exceeds the balance due {owed}", balance_due=owed.to_decimal_string())
    return owed, amount - owed
