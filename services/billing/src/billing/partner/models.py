"""Partner insurers, their insured patients' policies, guarantees and claim layouts (BIL-8, BIL-19)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ARRAY, Date, DateTime, ForeignKey, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.db import Base


class Insurer(Base):
    __tablename__ = "insurers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(Text)
    # The claims register's columns as this insurer asks for them: [{"field": ..., "header": ...}].
    claim_layout: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InsurancePolicy(Base):
    """A voluntary health insurance policy shown at the registry (BIL-8)."""

    __tablename__ = "insurance_policies"
    __table_args__ = (UniqueConstraint("insurer_id", "policy_number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("insurers.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    policy_number: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    service_codes: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Guarantee(Base):
    """A coverage check's decision (BIL-19): the insurer's guarantee for one service on one date."""

    __tablename__ = "guarantees"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    insurer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    policy_id: Mapped[uuid.UUID | None] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_code: Mapped[str] = mapped_column(Text)
    service_date: Mapped[date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(Text)  # approved, denied
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
