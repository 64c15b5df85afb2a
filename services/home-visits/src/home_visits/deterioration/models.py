"""Deterioration reports (HV-10): routed to the attending doctor, escalated to the call centre."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base


class DeteriorationReport(Base):
    __tablename__ = "deterioration_reports"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'escalated', 'acknowledged')", name="status"),
        # The sweep's query: open reports by deadline.
        Index(
            "ix_deterioration_reports_open_deadline",
            "acknowledge_by",
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    practitioner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reported_by: Mapped[str] = mapped_column(Text)
    acknowledge_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(Text)
