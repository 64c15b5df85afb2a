"""The public offer's versions, each patient's acceptances, written contracts (REC-3, REC-4, ORG-3)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class OfferVersion(Base):
    """A version of the public offer: text, publication, the date it takes effect (ORG-3),
    valid for 5 years unless replaced (REC-3, O 1.5); the notice is recorded with it."""

    __tablename__ = "offer_versions"
    __table_args__ = (
        UniqueConstraint("organization_id", "effective_from"),
        CheckConstraint("effective_from >= published_on", name="effective_after_publication"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published_on: Mapped[date] = mapped_column(Date)
    effective_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    notice_recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    notice_working_days: Mapped[int] = mapped_column(Integer)
    published_by: Mapped[str] = mapped_column(Text)


class OfferAcceptance(Base):
    """Once per patient and version, with the act that caused it (REC-3, O 1.8-1.9)."""

    __tablename__ = "offer_acceptances"
    __table_args__ = (
        UniqueConstraint("patient_id", "offer_version_id"),
        CheckConstraint(
            "act IN ('call_center_booking', 'payment', 'service_received', 'signature')", name="act"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    offer_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offer_versions.id"))
    act: Mapped[str] = mapped_column(Text)
    act_ref: Mapped[str | None] = mapped_column(Text)
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Contract(Base):
    """A written contract, concluded before the first visit, with no end date (REC-4, P 4.1-4.3)."""

    __tablename__ = "contracts"
    __table_args__ = (CheckConstraint("copies IN (2, 3)", name="copies"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    number: Mapped[str] = mapped_column(Text, unique=True)
    concluded_on: Mapped[date] = mapped_column(Date)
    copies: Mapped[int] = mapped_column(Integer)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)
