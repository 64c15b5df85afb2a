"""Conduct and compliance violations, and refusals of service (REC-22)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base

VIOLATION_KINDS = (
    "no_show",
    "late_arrival",
    "medical_advice_not_followed",
    "conduct_rules",
    "property_damage",
    "other",
)


class Violation(Base):
    __tablename__ = "violations"
    __table_args__ = (
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in VIOLATION_KINDS) + ")", name="kind"),
        # One no-show or late arrival per visit, however often scheduling's event is delivered.
        Index(
            "uq_violations_kind_appointment_id",
            "kind",
            "appointment_id",
            unique=True,
            postgresql_where=text("appointment_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)


class ServiceRefusal(Base):
    """The organization ended the contract for non-compliance (REC-22, O 8.6)."""

    __tablename__ = "service_refusals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    refused_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
