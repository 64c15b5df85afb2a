"""Patient notifications, their deliveries per channel, and visit reminders (architecture.md § Events)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class Notification(Base):
    """One message to a patient; it is in the cabinet inbox, and goes out by the channels chosen."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_patient_id_created_at", "patient_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(Text)
    # What caused it ("event:<id>", "reminder:<id>"); one notification per cause.
    cause: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    medical: Mapped[bool] = mapped_column()  # medical content never leaves by SMS or e-mail (REC-17)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NotificationDelivery(Base):
    """One channel of one notification with its outcome, stored back by the delivery worker."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        CheckConstraint("channel IN ('cabinet', 'sms', 'whatsapp')", name="channel"),
        CheckConstraint("status IN ('pending', 'delivered', 'sent', 'failed', 'skipped')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id"), index=True)
    channel: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    delivery_id: Mapped[uuid.UUID | None] = mapped_column()  # the platform deliveries row
    provider: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class Reminder(Base):
    """A reminder of a booked visit at one of the policy's lead times. Scheduled for the visit's
    start as booked; a move, a cancellation or a lead time no longer in force on the visit's day
    (ORG-3) cancels it, and the scheduler sends it only while the visit is still booked at that start."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("appointment_id", "appointment_start", "lead_minutes"),
        CheckConstraint("status IN ('scheduled', 'sent', 'cancelled')", name="status"),
        Index("ix_reminders_due", "due_at", postgresql_where=text("status = 'scheduled'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    appointment_id: Mapped[uuid.UUID] = mapped_column(index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column()
    appointment_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lead_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text, default="scheduled")
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notification_id: Mapped[uuid.UUID | None] = mapped_column()
