"""Who takes part in a patient's care, from scheduling's and home-visits' events (REC-13)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class AppointmentProjection(Base):
    """Scheduling's appointments as records needs them: reminders, offer acceptance, conduct."""

    __tablename__ = "appointments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    practitioner_id: Mapped[uuid.UUID] = mapped_column()
    branch_id: Mapped[uuid.UUID] = mapped_column()
    service_code: Mapped[str] = mapped_column(Text)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    source_sequence: Mapped[int] = mapped_column(BigInteger)


class CareRelation(Base):
    """A practitioner took part in the patient's care: an appointment with them, a home visit
    assigned to them, an entry they wrote. Staff read the card only through one (REC-13)."""

    __tablename__ = "care_relations"
    __table_args__ = (
        UniqueConstraint("patient_id", "source", "source_id", "practitioner_id"),
        Index("ix_care_relations_patient_id_practitioner_id", "patient_id", "practitioner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column()
    practitioner_id: Mapped[uuid.UUID | None] = mapped_column()
    branch_id: Mapped[uuid.UUID | None] = mapped_column()
    source: Mapped[str] = mapped_column(Text)  # appointment, home_visit, entry
    source_id: Mapped[uuid.UUID] = mapped_column()
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
