"""The billing service's declarative base and platform tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from clinic_common.db import PlatformTables, make_metadata
from clinic_common.deliveries import Deliveries
from clinic_common.events.outbox import Outbox


class Base(DeclarativeBase):
    metadata = make_metadata()


platform = PlatformTables(Base.metadata)

# The service's outbox and delivery store; use cases take them from here, requests and handlers alike.
outbox = Outbox(platform, source="billing")
deliveries = Deliveries(platform)
