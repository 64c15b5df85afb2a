"""Projection of billing's service catalogue: codes, durations and flags (SCH-2, SCH-9)."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduling.db import Base


class ServiceProjection(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID]
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(Text)
    requires_referral: Mapped[bool]
    preventive: Mapped[bool]
    state_order: Mapped[bool]
    active: Mapped[bool]
    source_sequence: Mapped[int] = mapped_column(BigInteger)
