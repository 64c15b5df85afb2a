"""Organizations, their branches and versioned policy (ORG-1, ORG-2, ORG-3). Scheduling owns them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, Float, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.db import Base


class Organization(Base):
    """ORG-1: a clinic operator with a country, a currency and a time zone."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("country IN ('KZ', 'RU')", name="country"),
        CheckConstraint("currency IN ('KZT', 'RUB')", name="currency"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text)

    branches: Mapped[list[Branch]] = relationship(
        lazy="raise", order_by="Branch.sort_order", back_populates="organization"
    )
    policy_versions: Mapped[list[PolicyVersionRow]] = relationship(
        lazy="raise", order_by="PolicyVersionRow.effective_from"
    )


class PolicyVersionRow(Base):
    """ORG-3: a version of the organization's policy and the local date it takes effect.

    `policy` holds `organization.domain.Policy` as JSON; the version in force on a date is the
    latest with `effective_from` on or before it."""

    __tablename__ = "policy_versions"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONB)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Branch(Base):
    """ORG-2: a polyclinic or centre with an address, a point and weekly opening hours.

    `opening_hours` and `phone_booking_hours` are lists of `{weekday, opens, closes}` in the
    branch's local time (`organization.domain.WeeklyInterval`). The home-care service zone is
    owned by home-visits (architecture.md, Who owns what)."""

    __tablename__ = "branches"
    __table_args__ = (
        CheckConstraint("lat IS NULL OR lat BETWEEN -90 AND 90", name="lat"),
        CheckConstraint("lon IS NULL OR lon BETWEEN -180 AND 180", name="lon"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    time_zone: Mapped[str] = mapped_column(Text)
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    phone_booking_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    electronic_queue: Mapped[bool] = mapped_column(default=False)  # SCH-14
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    organization: Mapped[Organization] = relationship(lazy="raise", back_populates="branches")
