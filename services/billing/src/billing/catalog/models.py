"""The service catalogue: what an organization renders, with durations and flags (BIL-2, SCH-2, SCH-9)."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, CheckConstraint, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from billing.db import Base


class Service(Base):
    """One service of an organization's catalogue, announced to scheduling and home-visits.

    `requires_referral`: under a program, booked only on a referral (SCH-9); `state_order`: paid by
    the state order (ГОБМП, ОСМС), never charged to the patient (BIL-2); `preventive` (BIL-13).
    """

    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("organization_id", "code"),
        CheckConstraint("duration_minutes > 0", name="duration_minutes_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(Text)
    requires_referral: Mapped[bool] = mapped_column(Boolean, default=False)
    preventive: Mapped[bool] = mapped_column(Boolean, default=False)
    state_order: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # KZ fiscal receipts name each position by the national goods and services catalogue code.
    national_code: Mapped[str | None] = mapped_column(Text)
