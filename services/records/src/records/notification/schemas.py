"""Bodies of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel


class DeliveryRead(BaseModel):
    channel: str
    status: str
    recipient: str | None
    provider: str | None
    outcome_at: datetime | None
    error: str | None


class NotificationRead(BaseModel):
    id: UUID
    kind: str
    title: str
    body: str | None
    medical: bool
    data: dict[str, Any]
    created_at: datetime
    deliveries: list[DeliveryRead]
