"""The audit trail of medical data and the items listed for review (REC-13, REC-14, REC-9, REC-15)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class AuditEvent(Base):
    """Who, when, from which role, which patient and entry, for what purpose (REC-13).

    Insert-only: a trigger refuses UPDATE, DELETE and TRUNCATE, so not even the application can
    rewrite it; kept for the retention period (architecture.md § Retention)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint("action IN ('read', 'create', 'amend')", name="action"),
        Index("ix_audit_events_patient_id_at", "patient_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column()
    entry_id: Mapped[uuid.UUID | None] = mapped_column()
    resource: Mapped[str] = mapped_column(Text)  # card, entry, consent, refusal, referral, result, document
    action: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)  # care, own, representative, trusted_person, break_glass
    actor_subject: Mapped[str] = mapped_column(Text)
    actor_roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    actor_staff_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_person_id: Mapped[uuid.UUID | None] = mapped_column()
    break_glass_id: Mapped[uuid.UUID | None] = mapped_column()


class BreakGlassAccess(Base):
    """Emergency access without consent, with its stated reason, for a limited time (REC-14)."""

    __tablename__ = "break_glass_accesses"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    actor_subject: Mapped[str] = mapped_column(Text)
    actor_staff_id: Mapped[uuid.UUID | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewItem(Base):
    """Something the privacy officer reviews: a break-glass access (REC-14), an intervention
    without consent on a legal ground (REC-9), a police-report flag (REC-15), a withholding (REC-5)."""

    __tablename__ = "review_items"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('break_glass', 'intervention_without_consent', 'police_report', 'withholding')",
            name="kind",
        ),
        Index("ix_review_items_organization_id_open", "organization_id", "reviewed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(Text)
    ref_id: Mapped[uuid.UUID] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    actor_subject: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(Text)
    review_note: Mapped[str | None] = mapped_column(Text)
