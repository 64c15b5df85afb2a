"""Fiscal documents (architecture.md § Fiscal receipts): pending until the register answers,
then registered with its fiscal number, sign and time, or failed with the register's answer."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.db import Base


class FiscalDocument(Base):
    __tablename__ = "fiscal_documents"
    __table_args__ = (UniqueConstraint("source"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    country: Mapped[str] = mapped_column(Text)
    operation: Mapped[str] = mapped_column(Text)  # sale, sale_refund, sale_correction, ...
    settlement: Mapped[str] = mapped_column(Text)  # full_prepayment, advance, full_settlement
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    ref_type: Mapped[str] = mapped_column(Text)  # payment, refund, program_usage, correction
    ref_id: Mapped[uuid.UUID] = mapped_column(index=True)
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    corrects_id: Mapped[uuid.UUID | None] = mapped_column()
    source: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, object]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text)  # pending, registered, failed
    register: Mapped[str | None] = mapped_column(Text)
    fiscal_number: Mapped[str | None] = mapped_column(Text)
    fiscal_sign: Mapped[str | None] = mapped_column(Text)
    registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
