"""Local projections of other services' facts that booking rules need (architecture.md, Who owns
what): referrals and refusals of service from records, debts, enrolments and payments from billing."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.db import Base


class ReferralProjection(Base):
    """REC-11, SCH-9: a referral in the card; `used` once a booking consumed it."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_patient_id", "patient_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID]
    organization_id: Mapped[uuid.UUID]
    service_code: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    used: Mapped[bool] = mapped_column(default=False)
    used_by: Mapped[uuid.UUID | None]  # the appointment that used it (ours, or records' word)
    source_sequence: Mapped[int] = mapped_column(BigInteger)


class DebtProjection(Base):
    """BIL-10, SCH-13: a debt of the patient, open until settled."""

    __tablename__ = "debts"
    __table_args__ = (Index("ix_debts_patient_id", "patient_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID]
    organization_id: Mapped[uuid.UUID]
    open: Mapped[bool]
    source_sequence: Mapped[int] = mapped_column(BigInteger)


class EnrollmentProjection(Base):
    """BIL-12, SCH-9, SCH-10: a program enrolment with its period, state and preventive plan."""

    __tablename__ = "enrollments"
    __table_args__ = (Index("ix_enrollments_patient_id", "patient_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    program_id: Mapped[uuid.UUID]
    patient_id: Mapped[uuid.UUID]
    organization_id: Mapped[uuid.UUID]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(Text)  # active, suspended, ended
    preventive_plan: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    source_sequence: Mapped[int] = mapped_column(BigInteger)


class ServiceRefusalProjection(Base):
    """REC-22, SCH-13: the organization refused further service to the patient from a date."""

    __tablename__ = "service_refusals"

    patient_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID]
    refused_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    source_sequence: Mapped[int] = mapped_column(BigInteger)


class AppointmentPayment(Base):
    """BIL-4: what billing last said is due on the appointment's invoice (`payment.captured` /
    `payment.refunded`); a paid visit starts only when nothing is due."""

    __tablename__ = "appointment_payments"

    appointment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    balance_due: Mapped[str] = mapped_column(Text)
    settled: Mapped[bool]
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
