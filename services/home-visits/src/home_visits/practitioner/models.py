"""Projection of practitioners and their shifts, owned by scheduling (SCH-1, HV-4, HV-9).

All practitioners are kept with their `home_care` flag, so a doctor who stops doing home care
is updated rather than left behind; dispatch filters on the flag.
"""

from __future__ import annotations

import uuid
from datetime import date, time

from sqlalchemy import BigInteger, Boolean, Date, Integer, Text, Time, Uuid, false, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base


class PractitionerProjection(Base):
    __tablename__ = "practitioners"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    branch_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    full_name: Mapped[str] = mapped_column(Text)
    specialty: Mapped[str] = mapped_column(Text)
    home_care: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    source_sequence: Mapped[int] = mapped_column(BigInteger)


class ShiftProjection(Base):
    """A weekly working shift of a practitioner at a branch."""

    __tablename__ = "shifts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    branch_id: Mapped[uuid.UUID] = mapped_column(index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    works_on_holidays: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    time_zone: Mapped[str | None] = mapped_column(Text)  # the branch's: starts/ends are its wall clock
    source_sequence: Mapped[int] = mapped_column(BigInteger)
