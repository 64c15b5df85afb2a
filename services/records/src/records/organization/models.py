"""Projection of organizations owned by scheduling (ORG-1), with their policy versions (ORG-3)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class OrganizationProjection(Base):
    """`policy` is the version the last event called current; `policy_versions` every published
    version (ORG-3), so the rules read the one in force on the day they decide for."""

    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text)
    policy: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)
    policy_versions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    source_sequence: Mapped[int] = mapped_column(BigInteger)
