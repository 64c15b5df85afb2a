"""Programs, enrolments, usage and surcharges (BIL-12 to BIL-18); referrals and distance bands
learned from records and home-visits."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.db import Base


class Program(Base):
    """A prepaid program: its price is the price list's for `service_code` (BIL-1, BIL-16)."""

    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("organization_id", "service_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    duration_months: Mapped[int] = mapped_column(Integer)
    urgent_home_care: Mapped[bool] = mapped_column(Boolean)
    referral_required: Mapped[bool] = mapped_column(Boolean, default=True)
    home_care_in_base_zone: Mapped[bool] = mapped_column(Boolean, default=True)
    documents: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProgramService(Base):
    """An included service and how many times it is covered (None: as often as prescribed)."""

    __tablename__ = "program_services"
    __table_args__ = (UniqueConstraint("program_id", "service_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    service_code: Mapped[str] = mapped_column(Text)
    times: Mapped[int | None] = mapped_column(Integer)
    terms: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)  # clinic, home
    without_referral: Mapped[bool] = mapped_column(Boolean, default=False)
    preventive_month: Mapped[int | None] = mapped_column(Integer)  # planned month of a preventive event


class ProgramExclusion(Base):
    """P 12.8 as data (BIL-13): a category, disease, condition or dental exclusion."""

    __tablename__ = "program_exclusions"
    __table_args__ = (UniqueConstraint("program_id", "kind", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)  # category, disease, condition, dental, service
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)  # the clause, e.g. P 12.8.1


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (CheckConstraint("used_minor >= 0", name="used_non_negative"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text)  # awaiting_payment, active, suspended, ended, terminated
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    used_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    band_km: Mapped[float | None] = mapped_column(Float)
    manager_contacts_due_on: Mapped[date] = mapped_column(Date)
    manager_contact: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProgramUsage(Base):
    """A service rendered under an enrolment, valued at the price in force that day (BIL-1)."""

    __tablename__ = "program_usage"
    __table_args__ = (UniqueConstraint("source"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    enrollment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enrollments.id"), index=True)
    service_code: Mapped[str] = mapped_column(Text)
    rendered_on: Mapped[date] = mapped_column(Date)
    value_minor: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Surcharge(Base):
    """BIL-16 (zone band) or BIL-17 (health group) surcharge proposed to the customer."""

    __tablename__ = "surcharges"
    __table_args__ = (UniqueConstraint("source"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    enrollment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enrollments.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column()
    basis: Mapped[str] = mapped_column(Text)  # zone_band, health_group
    percent: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # proposed, accepted, refused
    source: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column()
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReferralProjection(Base):
    """Referrals issued by records (REC-11), consulted by coverage (BIL-12, BIL-13)."""

    __tablename__ = "referrals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    service_code: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    source_sequence: Mapped[int] = mapped_column(BigInteger)


class DistanceBandProjection(Base):
    """Distance bands beyond the base zone (BIL-16), learned from home-visits' `zone.upserted`."""

    __tablename__ = "distance_bands"
    __table_args__ = (UniqueConstraint("organization_id", "up_to_km"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    up_to_km: Mapped[float] = mapped_column(Float)
    surcharge_percent: Mapped[int] = mapped_column(Integer)
