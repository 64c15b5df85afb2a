"""Refund rules as plain Python (BIL-9): each basis and its limit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from clinic_common.errors import AppError
from clinic_common.money import Money


class RefundBasis(StrEnum):
    REFUSAL = "refusal"  # a justified refusal on a written application (O 4.4)
    EARLY_TERMINATION = "early_termination"  # paid less rendered, unless the patient breached (O 4.5)
    COMPLAINT = "complaint"  # an upheld complaint: what was paid for the services concerned (O 11.5)
    CANCELLATION = "cancellation"  # the organization cancelled the visit (absence, force majeure)
    OVERPAYMENT = "overpayment"  # the patient's credit (an advance) returned


class RefundNotAllowed(AppError):
    status = 422
    code = "refund_not_allowed"
    title = "The refund is not allowed on this basis, or exceeds what the basis allows"
    rule = "BIL-9"


class PaymentAlreadyRefunded(AppError):
    status = 409
    code = "payment_already_refunded"
    title = "The payment has been refunded in full"
    rule = "BIL-9"


class ApplicationRequired(AppError):
    status = 422
    code = "application_required"
    title = "A refund on refusal needs the patient's written application"
    rule = "BIL-9"


class RefundNotFound(AppError):
    status = 404
    code = "refund_not_found"
    title = "No such refund"


class RefundNotPending(AppError):
    status = 409
    code = "refund_not_pending"
    title = "The refund was already paid out"


@dataclass(frozen=True, slots=True)
class RefundFacts:
    """What the books say about one payment and its invoice."""

    remaining_on_payment: Money  # the payment less what was refunded of it
    unrendered_paid: Money  # paid on the invoice for services not rendered
    concerned_paid: Money  # paid for the services a complaint concerns, rendered or not
    credit: Money  # the patient's credit (advance) balance
    credited_remaining: Money  # the part of this payment kept as credit, not yet returned
    lost_to_patient: bool  # the visit was lost to lateness, no-show or the patient's breach
    cancelled_by_organization: bool


def refund_limit(basis: RefundBasis, facts: RefundFacts, *, patient_breach: bool = False) -> Money:
    """BIL-9: the most this basis returns; raises when it returns nothing.

    - an upheld complaint: up to what was paid for the services concerned, rendered or not;
    - the patient's credit: up to what is left of it from this payment;
    - any other basis: never beyond what was paid for what was not rendered; a visit lost to
      the patient's lateness or breach is not refunded; a cancellation is the organization's."""
    zero = Money.zero(facts.remaining_on_payment.currency)
    if facts.remaining_on_payment <= zero:
        raise PaymentAlreadyRefunded()
    if basis is RefundBasis.COMPLAINT:
        limit = min(facts.remaining_on_payment, facts.concerned_paid)
    elif basis is RefundBasis.OVERPAYMENT:
        limit = min(facts.credited_remaining, facts.credit)
    else:
        if facts.lost_to_patient:
            raise RefundNotAllowed(
                "a visit lost to the patient's lateness or breach is not refunded (O 3.10, O 3.17)"
            )
        if basis is RefundBasis.EARLY_TERMINATION and patient_breach:
            raise RefundNotAllowed(
                "early termination for the patient's breach of contract is not refunded (O 4.5)"
            )
        if basis is RefundBasis.CANCELLATION and not facts.cancelled_by_organization:
            raise RefundNotAllowed("only a visit the organization cancelled is refunded on this basis")
        limit = min(facts.remaining_on_payment, facts.unrendered_paid)
    if limit <= zero:
        raise RefundNotAllowed("nothing paid on this basis is left to refund", limit=zero.to_decimal_string())
    return limit


def check_amount(requested: Money | None, limit: Money) -> Money:
    """The amount asked for (default: the whole limit), positive and within the limit."""
    amount = requested if requested is not None else limit
    if not amount.is_positive():
        raise RefundNotAllowed("a refund is a positive amount")
    if amount > limit:
        raise RefundNotAllowed(
            f"{amount} exceeds what this basis allows ({limit})", limit=limit.to_decimal_string()
        )
    return amount
