"""Projection of patients owned by records: who a home visit may be requested for (REC-1)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, Date, Float, Text
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base


class PatientProjection(Base):
    __tablename__ = "patients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    last_name: Mapped[str] = mapped_column(Text)
    first_name: Mapped[str] = mapped_column(Text)
    middle_name: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(Text)
    address_text: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    source_sequence: Mapped[int] = mapped_column(BigInteger)
