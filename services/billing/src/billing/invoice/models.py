"""Estimates, invoices and acts with their items (BIL-1, BIL-4, BIL-6, BIL-8).

Running totals are kept on the invoice under its row lock: `total_minor` (items not cancelled),
`adjusted_minor` (written off by refunds of rendered services), `paid_minor` (payments applied
net of refunds). What is due is `total - adjusted - paid`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from billing.db import Base


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("source"),
        CheckConstraint("char_length(currency) = 3", name="currency_code"),
        CheckConstraint("total_minor >= 0", name="total_non_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    branch_id: Mapped[uuid.UUID | None] = mapped_column()
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # What caused it, unique so a redelivered event or a repeated request makes one invoice.
    source: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)  # estimate, invoice, act, program, charge, surcharge
    payer_kind: Mapped[str] = mapped_column(Text)
    payer_ref: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # open, paid, void
    service_date: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    act_issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bank_transfer_only: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    adjusted_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str | None] = mapped_column(Text)

    @property
    def balance_due_minor(self) -> int:
        return self.total_minor - self.adjusted_minor - self.paid_minor


class InvoiceItem(Base):
    """One line: `unit_price_minor` from the price list in force on the service day (BIL-1), the
    discount applied (BIL-11), and `coverage`: who bears it when the patient pays nothing
    (`state` BIL-2, `emergency` BIL-3, `program` BIL-13, `insurer` BIL-8)."""

    __tablename__ = "invoice_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    service_code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    list_price_minor: Mapped[int] = mapped_column(BigInteger)
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    discount_id: Mapped[uuid.UUID | None] = mapped_column()
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    coverage: Mapped[str | None] = mapped_column(Text)
    coverage_rule: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # planned, rendered, cancelled, forfeited
    added_during_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rendered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_price_locked: Mapped[bool] = mapped_column(Boolean, default=False)
