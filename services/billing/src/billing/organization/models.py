"""Projection of organizations owned by scheduling (ORG-1): currency (BIL-5) and time zone (BIL-1)."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.db import Base


class OrganizationProjection(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text)
    policy: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)
    source_sequence: Mapped[int] = mapped_column(BigInteger)
