"""The electronic queue (SCH-14): one entry per checked-in visit, numbered per branch and day."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.db import Base


class QueueEntry(Base):
    """A patient's pass: its `number`, calling `group` and `status` (api.md, Queue entry).

    `appointment_start` is the booked start (None for a walk-in), `arrived_at` the check-in; the
    calling order is decided from them in `queue.domain`. `called_at` and `entered_at` are when
    the practitioner called the patient and when the patient entered the room (status `in_room`)."""

    __tablename__ = "queue_entries"
    __table_args__ = (
        UniqueConstraint("branch_id", "day", "number"),
        UniqueConstraint("appointment_id"),
        CheckConstraint("grp IN ('emergency', 'returning', 'on_time', 'other')", name="grp"),
        CheckConstraint("status IN ('waiting', 'called', 'in_room', 'done')", name="status"),
        Index("ix_queue_entries_practitioner_id_day", "practitioner_id", "day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID]
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioners.id"))
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"))
    patient_id: Mapped[uuid.UUID]
    grp: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    appointment_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    arrived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    called_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    out_of_turn_reason: Mapped[str | None] = mapped_column(Text)
    out_of_turn_note: Mapped[str | None] = mapped_column(Text)


class QueueDay(Base):
    """Per branch and local day: the last pass number issued and a version the hall display
    watches (bumped by every change of the branch's queue that day)."""

    __tablename__ = "queue_days"

    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    calls: Mapped[int] = mapped_column(BigInteger, default=0)
