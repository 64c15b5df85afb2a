"""The billing service's declarative base and platform tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from clinic_common.db import PlatformTables, make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


platform = PlatformTables(Base.metadata)
