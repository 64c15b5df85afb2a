"""Appointments. The database refuses overlapping active visits of one practitioner or patient (SCH-4)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, Text, column, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.db import Base

ACTIVE = "status IN ('booked', 'arrived')"


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        # SCH-4: whatever the concurrency, no practitioner and no patient has two overlapping
        # active appointments. A delay moves `expected_start`, never the booked range.
        ExcludeConstraint(
            (column("practitioner_id"), "="),
            (func.tstzrange(column("start_at"), column("end_at"), text("'[)'")), "&&"),
            name="ex_appointments_practitioner_overlap",
            using="gist",
            where=text(ACTIVE),
        ),
        ExcludeConstraint(
            (column("patient_id"), "="),
            (func.tstzrange(column("start_at"), column("end_at"), text("'[)'")), "&&"),
            name="ex_appointments_patient_overlap",
            using="gist",
            where=text(ACTIVE),
        ),
        CheckConstraint("end_at > start_at", name="positive_length"),
        CheckConstraint(
            "status IN ('proposed', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'waitlist')",
            name="status",
        ),
        CheckConstraint(
            "channel IN ('website', 'mobile_app', 'call_center', 'registry', 'cabinet')", name="channel"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    branch_id: Mapped[uuid.UUID]
    practitioner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_code: Mapped[str] = mapped_column(Text)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expected_start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    payer_kind: Mapped[str] = mapped_column(Text)
    payer_ref: Mapped[str | None] = mapped_column(Text)
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    booked_by: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
