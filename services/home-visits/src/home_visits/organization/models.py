"""Projection of organizations and their branches, owned by scheduling (ORG-1, ORG-2)."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Boolean, Float, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from home_visits.db import Base


class OrganizationProjection(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text)
    source_sequence: Mapped[int] = mapped_column(BigInteger)


class BranchProjection(Base):
    """A branch with its geographic point (ORG-2). `active` turns false when scheduling's list drops it."""

    __tablename__ = "branches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    source_sequence: Mapped[int] = mapped_column(BigInteger)
