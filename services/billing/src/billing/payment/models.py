"""Payments and their receipt numbers (BIL-4, BIL-5, BIL-7)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from billing.db import Base


class ReceiptCounter(Base):
    """The last receipt number of an organization. Incremented in the payment's transaction, so
    concurrent payments take numbers in turn and a rolled-back one returns its number: no gaps."""

    __tablename__ = "receipt_counters"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(BigInteger)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("organization_id", "receipt_number"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("applied_minor >= 0 AND credited_minor >= 0", name="parts_non_negative"),
        CheckConstraint("applied_minor + credited_minor = amount_minor", name="parts_sum"),
        CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refund_within_amount"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(Text)  # cash, card, bank_transfer, advance
    applied_minor: Mapped[int] = mapped_column(BigInteger)
    credited_minor: Mapped[int] = mapped_column(BigInteger)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    receipt_number: Mapped[int] = mapped_column(BigInteger)
    paid_by: Mapped[str | None] = mapped_column(Text)
    settlement: Mapped[str] = mapped_column(Text)  # full_prepayment, advance, full_settlement
    taken_by: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
