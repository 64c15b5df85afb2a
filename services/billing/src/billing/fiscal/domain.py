"""Fiscal documents as plain Python (architecture.md § Fiscal receipts).

A document is built in the country's format from what was settled:
- Russia (54-FZ, FFD 1.2): receipt type (sale, sale refund, their corrections), positions with
  name, quantity, unit of measure, price, VAT mode (medical services: exempt), settlement method
  (full prepayment, advance, full settlement) and item type (service; an advance is a payment);
  payments by type (cash, electronic, offset of an advance); the buyer's contact.
- Kazakhstan (online cash registers through a fiscal data operator): operation type (sale, sale
  refund), positions with the national goods and services catalogue code, quantity, unit, price
  and tax, payment types, and the buyer's IIN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clinic_common.errors import AppError
from clinic_common.money import Money


class Operation(StrEnum):
    SALE = "sale"
    SALE_REFUND = "sale_refund"
    SALE_CORRECTION = "sale_correction"
    SALE_REFUND_CORRECTION = "sale_refund_correction"


class Settlement(StrEnum):
    """FFD 1.2 tag 1214 (settlement method) in the three forms billing uses."""

    FULL_PREPAYMENT = "full_prepayment"  # the service is known and paid before it is rendered
    ADVANCE = "advance"  # a program: paid before the services are known
    FULL_SETTLEMENT = "full_settlement"  # paid when rendered, or an advance offset


class PaymentType(StrEnum):
    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    ADVANCE_OFFSET = "advance_offset"  # an earlier advance counted against this settlement


PAYMENT_TYPE_OF_METHOD = {
    "cash": PaymentType.CASH,
    "card": PaymentType.CARD,
    "bank_transfer": PaymentType.BANK_TRANSFER,
    "advance": PaymentType.ADVANCE_OFFSET,
}


class FiscalDocumentNotFound(AppError):
    status = 404
    code = "fiscal_document_not_found"
    title = "No such fiscal document"


class CorrectionNotAllowed(AppError):
    status = 409
    code = "correction_not_allowed"
    title = "Only a registered sale or sale refund can be corrected, once"


@dataclass(frozen=True, slots=True)
class Position:
    name: str
    quantity: int
    price: Money
    amount: Money
    settlement: Settlement
    service_code: str
    national_code: str | None = None  # KZ: the national goods and services catalogue code

    @property
    def item_type(self) -> str:
        """FFD 1.2 tag 1212: an advance is a payment (10), everything else a service (4)."""
        return "payment" if self.settlement is Settlement.ADVANCE else "service"


@dataclass(frozen=True, slots=True)
class Paid:
    type: PaymentType
    amount: Money


@dataclass(frozen=True, slots=True)
class Buyer:
    phone: str | None = None
    iin: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    basis: str  # self (own initiative) or order (an order of the tax authority)
    basis_number: str | None
    basis_date: str  # ISO date of the basis document
    corrects: str  # id of the document corrected


KZ_UNIT_SERVICE = "5114"  # the KZ unit classifier's "service" (услуга)
RU_MEASURE_PIECE = "piece"  # FFD 1.2 tag 2108 value 0


def build(
    country: str,
    *,
    document_id: str,
    operation: Operation,
    positions: Sequence[Position],
    payments: Sequence[Paid],
    buyer: Buyer,
    correction: Correction | None = None,
) -> dict[str, Any]:
    """The document in the country's format; totals are checked to add up (positions = payments)."""
    if not positions:
        raise ValueError("a fiscal document has at least one position")
    currency = positions[0].amount.currency
    total = Money.total((p.amount for p in positions), currency)
    paid = Money.total((p.amount for p in payments), currency)
    if total != paid:
        raise ValueError(f"positions total {total} but payments total {paid}")
    base: dict[str, Any] = {
        "document_id": document_id,
        "country": country,
        "total": total.to_decimal_string(),
        "currency": currency.value,
    }
    if correction is not None:
        base["correction"] = {
            "basis": correction.basis,
            "basis_number": correction.basis_number,
            "basis_date": correction.basis_date,
            "corrects": correction.corrects,
        }
    if country == "KZ":
        return base | {
            "format": "kz-ofd",
            "operation_type": operation.value,
            "buyer_iin": buyer.iin,
            "positions": [
                {
                    "name": p.name,
                    "national_catalogue_code": p.national_code,
                    "quantity": p.quantity,
                    "unit_code": KZ_UNIT_SERVICE,
                    "price": p.price.to_decimal_string(),
                    "amount": p.amount.to_decimal_string(),
                    "tax": {"type": "without_vat", "percent": "0", "amount": "0.00"},
                    "settlement": p.settlement.value,
                    "service_code": p.service_code,
                }
                for p in positions
            ],
            "payments": [{"type": x.type.value, "amount": x.amount.to_decimal_string()} for x in payments],
        }
    return base | {
        "format": "ru-ffd-1.2",
        "receipt_type": operation.value,
        "client": {"phone": buyer.phone, "name": buyer.name},
        "positions": [
            {
                "name": p.name[:128],
                "quantity": p.quantity,
                "measure": RU_MEASURE_PIECE,
                "price": p.price.to_decimal_string(),
                "amount": p.amount.to_decimal_string(),
                "vat": "none",  # medical services are exempt (Tax Code art. 149)
                "settlement_method": p.settlement.value,
                "item_type": p.item_type,
                "service_code": p.service_code,
            }
            for p in positions
        ],
        "payments": [{"type": x.type.value, "amount": x.amount.to_decimal_string()} for x in payments],
    }


def settlement_for(kind: str, rendered: bool) -> Settlement:
    """Which settlement a payment is: a program's prepayment is an advance; a known service paid
    before it is rendered a full prepayment; paid when (or after) rendered a full settlement."""
    if kind in ("program", "surcharge"):
        return Settlement.ADVANCE
    return Settlement.FULL_SETTLEMENT if rendered else Settlement.FULL_PREPAYMENT
