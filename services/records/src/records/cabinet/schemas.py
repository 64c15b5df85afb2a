"""Bodies of the cabinet API (api.md: Cabinet access grant)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import RequestModel

from records.patient.schemas import TEXT, IdentityDocument


class CabinetGrant(RequestModel):
    """REC-19: granted in person at the registry, on the identity document the patient shows."""

    identity_document: IdentityDocument


class CabinetRestriction(RequestModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=TEXT)


class CabinetRead(BaseModel):
    patient_id: UUID
    granted_at: datetime | None
    restricted: bool
    open: bool
