"""Discounts (BIL-11): promotions with a period, individual discounts approved by the director."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ARRAY, CheckConstraint, Date, DateTime, Numeric, Text
from sqlalchemy.orm import Mapped, mapped_column

from billing.db import Base


class Discount(Base):
    __tablename__ = "discounts"
    __table_args__ = (CheckConstraint("percent > 0 AND percent <= 100", name="percent_range"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(Text)  # promotion, individual
    basis: Mapped[str] = mapped_column(Text)
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    service_codes: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    application_ref: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # active, pending_approval
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
