"""The personal cabinet of each patient (REC-19)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class Cabinet(Base):
    """Granted in person at a registry on an identity document (P 10.2-10.4); restricted by the
    organization at will (P 10.7). Changes are announced as `cabinet.*` events."""

    __tablename__ = "cabinets"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    granted_by: Mapped[str] = mapped_column(Text)
    identity_document: Mapped[str] = mapped_column(Text)  # "kind number" shown at the registry
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    restriction_reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
