"""Projection of the patient's attending practitioner, owned by scheduling (SCH-15), read by the
routing of deterioration reports (HV-10)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Text
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base


class AttendingProjection(Base):
    """The latest attending practitioner learnt; `version` is scheduling's numbering of the changes,
    so an older or redelivered `attending_practitioner.changed` never overwrites a newer one."""

    __tablename__ = "attending_practitioners"

    patient_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    practitioner_id: Mapped[uuid.UUID]
    capacity: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(BigInteger)
