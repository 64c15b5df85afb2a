"""Interventions that need informed consent (data per organization) and refusals (REC-9, REC-10)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class ConsentRequiredIntervention(Base):
    """One intervention of the organization's legal list (P 4.5: Order 390н), by service code."""

    __tablename__ = "consent_required_interventions"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)


class Refusal(Base):
    """A refusal of an intervention: consequences explained, signed by the patient (or the
    representative) and by the medical worker (REC-10). Insert-only."""

    __tablename__ = "refusals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    intervention_code: Mapped[str] = mapped_column(Text)
    consequences_explained: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[uuid.UUID] = mapped_column()
    signer_role: Mapped[str] = mapped_column(Text)
    worker_staff_id: Mapped[uuid.UUID] = mapped_column()
    worker_subject: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
