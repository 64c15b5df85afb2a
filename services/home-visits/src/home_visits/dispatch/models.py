"""Dispatch plans: one per branch and day, re-planned in place (HV-9)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Float, Integer, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base


class DispatchPlan(Base):
    """The routes last planned for a branch's day; the row is also the lock that serializes
    planning of that day (a second planner waits, then re-plans on what the first wrote)."""

    __tablename__ = "dispatch_plans"
    __table_args__ = (UniqueConstraint("branch_id", "date", name="uq_dispatch_plans_branch_id_date"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    branch_id: Mapped[uuid.UUID] = mapped_column()
    date: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    planned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    total_distance_km: Mapped[float] = mapped_column(Float)
    routes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    unassigned: Mapped[list[str]] = mapped_column(JSONB)
