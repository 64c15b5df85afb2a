"""Appointments. The database refuses overlapping active visits of one practitioner or patient (SCH-4)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, Text, column, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.db import Base

ACTIVE_STATUSES = ("booked", "arrived")
# SCH-4 holds for booked visits; walk-ins and emergencies are served without a booking (SCH-3).
GUARDED = "status IN ('booked', 'arrived') AND kind = 'booked'"


class Appointment(Base):
    """A visit: booked through a channel (SCH-3), or a walk-in or emergency the registry checked in.

    `start_at`/`end_at` are the booked time and never move with a delay; `expected_start_at` does
    (SCH-8). `version` is the ETag: every change bumps it (api.md, Concurrency)."""

    __tablename__ = "appointments"
    __table_args__ = (
        # SCH-4: whatever the concurrency, no practitioner and no patient has two overlapping
        # active appointments. A delay moves `expected_start`, never the booked range.
        ExcludeConstraint(
            (column("practitioner_id"), "="),
            (func.tstzrange(column("start_at"), column("end_at"), text("'[)'")), "&&"),
            name="ex_appointments_practitioner_overlap",
            using="gist",
            where=text(GUARDED),
        ),
        ExcludeConstraint(
            (column("patient_id"), "="),
            (func.tstzrange(column("start_at"), column("end_at"), text("'[)'")), "&&"),
            name="ex_appointments_patient_overlap",
            using="gist",
            where=text(GUARDED),
        ),
        CheckConstraint("end_at > start_at", name="positive_length"),
        CheckConstraint(
            "status IN ('proposed', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'waitlist')",
            name="status",
        ),
        CheckConstraint(
            "channel IN ('website', 'mobile_app', 'call_center', 'registry', 'cabinet')", name="channel"
        ),
        CheckConstraint("kind IN ('booked', 'walk_in', 'emergency')", name="kind"),
        CheckConstraint("delay_minutes BETWEEN 0 AND 60", name="delay_at_most_60"),  # SCH-8
        CheckConstraint(
            "cancel_reason IS NULL OR cancel_reason IN "
            "('patient', 'clinic', 'absence', 'late_refused', 'noshow')",
            name="cancel_reason",
        ),
        Index("ix_appointments_practitioner_id_start_at", "practitioner_id", "start_at"),
        Index("ix_appointments_status_start_at", "status", "start_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    branch_id: Mapped[uuid.UUID]
    practitioner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_code: Mapped[str] = mapped_column(Text)
    visit_type: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, server_default="booked")
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expected_start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delay_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    status: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    payer_kind: Mapped[str] = mapped_column(Text)
    payer_ref: Mapped[str | None] = mapped_column(Text)
    referral_id: Mapped[uuid.UUID | None]
    enrollment_id: Mapped[uuid.UUID | None]
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    booked_by: Mapped[str] = mapped_column(Text)
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lateness_minutes: Mapped[int | None] = mapped_column(Integer)
    late_option: Mapped[str | None] = mapped_column(Text)
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    refundable: Mapped[bool | None]
    changed_via: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES
