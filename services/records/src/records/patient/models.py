"""Patients and their recorded consents (REC-1, REC-2)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        # One person per IIN within an organization (REC-1); the database settles concurrent registrations.
        Index(
            "uq_patients_organization_id_iin",
            "organization_id",
            "iin",
            unique=True,
            postgresql_where=text("iin IS NOT NULL"),
        ),
        CheckConstraint("sex IN ('female', 'male')", name="sex"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    last_name: Mapped[str] = mapped_column(Text)
    first_name: Mapped[str] = mapped_column(Text)
    middle_name: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(Text)
    iin: Mapped[str | None] = mapped_column(Text)
    identity_document_kind: Mapped[str] = mapped_column(Text)
    identity_document_number: Mapped[str] = mapped_column(Text)
    address_text: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)


class Consent(Base):
    """A consent as given: what, when (business clock), through which channel (REC-2)."""

    __tablename__ = "consents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)
