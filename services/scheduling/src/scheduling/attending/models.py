"""The patient's attending practitioner per organization and its history (SCH-15)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.db import Base


class AttendingPractitioner(Base):
    """The patient's current attending practitioner in the organization; `version` is its ETag's."""

    __tablename__ = "attending_practitioners"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioners.id"))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(BigInteger)


class AttendingChange(Base):
    """One choice or change: whom, in which capacity, by whom (token subject and role), when, why.
    The organization's replacement always has a reason (O 5.2.8). `version` numbers the patient's
    changes in order (the current row's version after this one)."""

    __tablename__ = "attending_changes"
    __table_args__ = (
        CheckConstraint("capacity IN ('patient', 'personal_manager', 'organization')", name="capacity"),
        CheckConstraint("capacity <> 'organization' OR reason IS NOT NULL", name="organization_reason"),
        UniqueConstraint("patient_id", "organization_id", "version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    patient_id: Mapped[uuid.UUID]
    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioners.id"))
    previous_practitioner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("practitioners.id"))
    capacity: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    chosen_by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(BigInteger)
