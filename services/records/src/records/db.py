"""The records service's declarative base, platform tables, outbox and deliveries."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from clinic_common.db import PlatformTables, make_metadata
from clinic_common.deliveries import Deliveries
from clinic_common.events.outbox import Outbox


class Base(DeclarativeBase):
    metadata = make_metadata()


platform = PlatformTables(Base.metadata)
outbox = Outbox(platform, source="records")
"""Event handlers emit through this (requests use `app.state.outbox`, the same kind of object)."""
deliveries = Deliveries(platform)
"""SMS and WhatsApp messages are recorded through this, in the caller's transaction."""
