"""Program home-care addresses and the supplementary agreement of their one change (HV-8)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, Float, Integer, Text, Time, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base


class ProgramAddress(Base):
    """One address of a program with its agreed interval, in force from `valid_from` until the day
    before `valid_to` (None: still in force)."""

    __tablename__ = "program_addresses"
    __table_args__ = (
        CheckConstraint("window_start < window_end", name="window"),
        CheckConstraint("valid_to IS NULL OR valid_from < valid_to", name="validity"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    enrollment_id: Mapped[uuid.UUID] = mapped_column(index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    window_start: Mapped[time] = mapped_column(Time)
    window_end: Mapped[time] = mapped_column(Time)
    band_upper_km: Mapped[float | None] = mapped_column(Float)
    surcharge_percent: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    agreement_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SupplementaryAgreement(Base):
    """HV-8 (P 12.6.5): the new terms of the program's one address change. One per program, which
    the database enforces, so two applications racing each other cannot both be accepted."""

    __tablename__ = "supplementary_agreements"
    __table_args__ = (UniqueConstraint("enrollment_id", name="uq_supplementary_agreements_enrollment_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(Text)
    enrollment_id: Mapped[uuid.UUID] = mapped_column()
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column()
    action: Mapped[str] = mapped_column(Text)
    filed_on: Mapped[date] = mapped_column(Date)
    effective_on: Mapped[date] = mapped_column(Date)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    filed_by: Mapped[str] = mapped_column(Text)
    old_band_km: Mapped[float | None] = mapped_column(Float)
    new_band_km: Mapped[float | None] = mapped_column(Float)
    old_surcharge_percent: Mapped[int | None] = mapped_column(Integer)
    new_surcharge_percent: Mapped[int | None] = mapped_column(Integer)
    terms: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
