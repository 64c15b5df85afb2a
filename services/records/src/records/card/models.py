"""The electronic medical card: append-only entries, referrals (REC-8, REC-11, REC-12, REC-15)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base

ENTRY_KINDS = (
    "encounter",
    "diagnosis",
    "examination",
    "prescription",
    "recommendation",
    "referral",
    "laboratory_result",
    "instrumental_result",
    "conclusion",
    "health_group",
    "intervention",
    "police_report_flag",
    "infectious_disease_flag",
    "medical_advice_not_followed",
)


class CardEntry(Base):
    """One entry of the card. Never updated or deleted (a trigger refuses both, REC-8): a
    correction is a new row whose `amends_id` points to the entry it corrects."""

    __tablename__ = "card_entries"
    __table_args__ = (
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in ENTRY_KINDS) + ")", name="kind"),
        CheckConstraint("kind <> 'diagnosis' OR icd10 IS NOT NULL", name="diagnosis_icd10"),
        Index("ix_card_entries_patient_id_recorded_at", "patient_id", "recorded_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(Text)
    amends_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("card_entries.id"), index=True)
    icd10: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    author_subject: Mapped[str] = mapped_column(Text)
    author_role: Mapped[str] = mapped_column(Text)
    author_staff_id: Mapped[uuid.UUID | None] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Referral(Base):
    """A referral issued into the card (REC-11); `used` once a booking names it."""

    __tablename__ = "referrals"
    __table_args__ = (CheckConstraint("status IN ('issued', 'used')", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("card_entries.id"))
    service_code: Mapped[str] = mapped_column(Text)
    facility: Mapped[str | None] = mapped_column(Text)  # an outside, specialised facility (REC-15)
    reason: Mapped[str | None] = mapped_column(Text)
    issued_by: Mapped[uuid.UUID] = mapped_column()
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, default="issued")
    used_by_appointment_id: Mapped[uuid.UUID | None] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
