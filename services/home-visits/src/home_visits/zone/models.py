"""Zones, distance bands and the outlying-address policy, owned here (ORG-2, HV-4, BIL-15, BIL-16)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, Numeric, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base


class Zone(Base):
    """A branch's home-care service zone or the organization's base zone.

    `order` ranks the branch zones of an organization: a point on a border belongs to the first
    (HV-4). `polygon` is a closed ring of [lon, lat] pairs (GeoJSON order)."""

    __tablename__ = "zones"
    __table_args__ = (
        CheckConstraint("kind IN ('branch', 'base')", name="kind"),
        CheckConstraint("(kind = 'base') = (branch_id IS NULL)", name="branch_matches_kind"),
        # One base zone per organization (BIL-15) and one rank per branch zone (HV-4).
        Index(
            "uq_zones_organization_id_base",
            "organization_id",
            unique=True,
            postgresql_where=text("kind = 'base'"),
        ),
        Index(
            "uq_zones_organization_id_order",
            "organization_id",
            "order",
            unique=True,
            postgresql_where=text("kind = 'branch'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    branch_id: Mapped[uuid.UUID | None] = mapped_column()
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    order: Mapped[int] = mapped_column(Integer)
    polygon: Mapped[list[list[float]]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DistanceBandRow(Base):
    """BIL-16 policy data: addresses more than the previous bound and at most `upper_km` from the
    base zone pay `surcharge_percent`; past the organization's last band none is served."""

    __tablename__ = "distance_bands"
    __table_args__ = (
        CheckConstraint("upper_km > 0", name="upper_km_positive"),
        CheckConstraint("surcharge_percent >= 0", name="surcharge_percent_non_negative"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    upper_km: Mapped[Decimal] = mapped_column(Numeric(7, 2), primary_key=True)
    surcharge_percent: Mapped[int] = mapped_column(Integer)


class ZonePolicy(Base):
    """Per organization: the branch designated for addresses outside every branch zone (HV-4)."""

    __tablename__ = "zone_policies"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    outlying_branch_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
