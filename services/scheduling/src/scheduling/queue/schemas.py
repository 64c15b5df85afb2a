"""Queue bodies (api.md, Core shapes: Queue entry)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import RequestModel

from scheduling.practitioner.domain import VisitType
from scheduling.queue.domain import Group, OutOfTurnReason


class QueueEntryRead(BaseModel):
    id: UUID
    appointment_id: UUID | None
    number: int
    group: Group
    status: str
    position: int | None = Field(description="Place in the calling order while waiting")
    arrived_at: datetime
    called_at: datetime | None
    entered_at: datetime | None = Field(description="When the called patient entered the room (SCH-14)")
    out_of_turn_reason: OutOfTurnReason | None


class QueueRead(BaseModel):
    practitioner_id: UUID
    items: list[QueueEntryRead]


class OutOfTurnCall(RequestModel):
    entry_id: UUID
    reason: OutOfTurnReason
    note: str | None = Field(default=None, max_length=500)


class WalkIn(RequestModel):
    patient_id: UUID
    branch_id: UUID
    service_code: str = Field(min_length=1, max_length=64)
    visit_type: VisitType | None = None
    emergency: bool = False


class WalkInRead(BaseModel):
    appointment_id: UUID
    entry: QueueEntryRead


class RoomRead(BaseModel):
    label: str = Field(description="The room's specialty; the board shows no names")
    called: list[int] = Field(description="Called and not yet in the room, the latest first")
    in_room: list[int] = Field(description="Entered the room after the call, the latest first")
    waiting: list[int] = Field(description="In calling order")


class BoardRead(BaseModel):
    """The hall display of a branch: queue numbers and the called numbers only (SCH-14). A number
    stops showing as called once its patient entered the room."""

    branch_id: UUID
    branch_name: str
    date: date
    version: int
    calls: int
    last_called: int | None = Field(description="The latest call whose patient has not entered yet")
    rooms: list[RoomRead]
