"""Home visits, owned here (HV-1 to HV-9)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base

STATUSES = ", ".join(
    f"'{s}'"
    for s in (
        "requested",
        "scheduled",
        "assigned",
        "en_route",
        "arrived",
        "completed",
        "false_call",
        "postponed",
        "cancelled",
    )
)


class HomeVisit(Base):
    """One home visit. `practitioner_id` and `route_position` are its place in a doctor's route for
    `scheduled_for` (HV-9): one doctor and one position per visit, and no two visits at one
    position of one doctor's day (checked at commit, so a re-plan may reorder within a transaction)."""

    __tablename__ = "home_visits"
    __table_args__ = (
        CheckConstraint(f"status IN ({STATUSES})", name="status"),
        CheckConstraint("kind IN ('planned', 'urgent')", name="kind"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates"),
        CheckConstraint("(window_start IS NULL) = (window_end IS NULL)", name="window_pair"),
        UniqueConstraint(
            "practitioner_id",
            "scheduled_for",
            "route_position",
            name="uq_home_visits_route_position",
            deferrable=True,
            initially="DEFERRED",
        ),
        Index("ix_home_visits_branch_id_scheduled_for", "branch_id", "scheduled_for"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    branch_id: Mapped[uuid.UUID] = mapped_column()
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column()
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    scheduled_for: Mapped[date] = mapped_column(Date)
    time_zone: Mapped[str] = mapped_column(Text)  # the branch's: times are shown in it (ORG-1)
    address_text: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    program_address_id: Mapped[uuid.UUID | None] = mapped_column()
    # HV-3 (P 12.6.1): the agreed interval of a program address, local to the branch.
    window_start: Mapped[time | None] = mapped_column(Time)
    window_end: Mapped[time | None] = mapped_column(Time)
    # HV-1, HV-5: the triage answers as given.
    indications: Mapped[dict[str, bool]] = mapped_column(JSONB)
    # HV-4, BIL-15, BIL-16: where the address stands.
    inside_base_zone: Mapped[bool] = mapped_column(Boolean)
    distance_km: Mapped[float | None] = mapped_column(Float)
    band_upper_km: Mapped[float | None] = mapped_column(Float)
    surcharge_percent: Mapped[int | None] = mapped_column(Integer)
    coverage: Mapped[dict[str, Any]] = mapped_column(JSONB)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    requested_by: Mapped[str] = mapped_column(Text)
    # HV-9: dispatch
    practitioner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    route_position: Mapped[int | None] = mapped_column(Integer)
    planned_arrival: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    en_route_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Outcomes (HV-6, HV-7)
    false_call_reason: Mapped[str | None] = mapped_column(Text)
    false_call_waived: Mapped[bool | None] = mapped_column(Boolean)
    samples_not_ready: Mapped[bool | None] = mapped_column(Boolean)
    close_reason: Mapped[str | None] = mapped_column(Text)
    postponed_from_id: Mapped[uuid.UUID | None] = mapped_column()
    next_visit_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
