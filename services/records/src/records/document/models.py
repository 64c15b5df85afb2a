"""Document requests and published results (REC-16, REC-17, REC-18)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class DocumentRequest(Base):
    """A written application for a copy, extract or certificate, tracked until handed over (REC-16)."""

    __tablename__ = "document_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('copy', 'extract', 'certificate')", name="kind"),
        CheckConstraint("delivery IN ('in_person', 'cabinet', 'whatsapp')", name="delivery"),
        CheckConstraint("status IN ('requested', 'handed_over')", name="status"),
        Index("ix_document_requests_organization_id_status_due_on", "organization_id", "status", "due_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    delivery: Mapped[str] = mapped_column(Text)
    application_ref: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, default="requested")
    recorded_by: Mapped[str] = mapped_column(Text)
    handed_over_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handed_to: Mapped[uuid.UUID | None] = mapped_column()
    handed_on_document: Mapped[str | None] = mapped_column(Text)  # "kind number" shown


class Result(Base):
    """A laboratory or instrumental result published to the cabinet; publication counts as
    notifying the patient, unless the cabinet is restricted (REC-18)."""

    __tablename__ = "results"
    __table_args__ = (CheckConstraint("kind IN ('laboratory', 'instrumental')", name="kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("card_entries.id"))
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    ordered_on: Mapped[date | None] = mapped_column(Date)  # examination ordered or sample taken
    promised_on: Mapped[date | None] = mapped_column(Date)  # REC-18: at most 15 working days later
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_via: Mapped[str] = mapped_column(Text)  # cabinet, or the other channel (REC-18)
