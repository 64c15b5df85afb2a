"""Projection of billing's program enrolments: who is under which program, when, with urgent home
care or not (HV-2, HV-8, BIL-12)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, Text
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base


class EnrollmentProjection(Base):
    __tablename__ = "enrollments"
    __table_args__ = (CheckConstraint("status IN ('active', 'suspended', 'ended')", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    program_id: Mapped[uuid.UUID] = mapped_column()
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    urgent_home_care: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(Text)
    source_sequence: Mapped[int] = mapped_column(BigInteger)
