"""The CloudEvents 1.0 envelope every event travels in."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import uuid_utils
from pydantic import BaseModel, ConfigDict, Field


def new_event_id() -> UUID:
    """UUIDv7: time-ordered, also used as the JetStream Nats-Msg-Id."""
    return UUID(str(uuid_utils.uuid7()))


class EventEnvelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: UUID
    type: str = Field(pattern=r"^clinic\.[a-z_]+\.[a-z_]+\.[a-z_]+$")
    source: str
    subject: str
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschemaversion: int = 1
    orgid: UUID | None = None
    correlationid: str | None = None
    causationid: str | None = None
    sequence: int = Field(ge=1)
    data: dict[str, Any]

    @property
    def producer(self) -> str:
        return self.type.split(".")[1]

    @property
    def aggregate(self) -> str:
        return self.type.split(".")[2]


def event_type(service: str, aggregate: str, event: str) -> str:
    """`clinic.<service>.<aggregate>.<event>`; also the NATS subject."""
    return f"clinic.{service.replace('-', '_')}.{aggregate}.{event}"
