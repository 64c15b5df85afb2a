"""Request and response bodies of the program-address API (HV-8)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import LocalDate, LocalTime, RequestModel

from home_visits.program_address.domain import ChangeAction


class IntervalIn(RequestModel):
    """An agreed visiting interval, local time of the branch (HV-3, P 12.6.1)."""

    start: LocalTime
    end: LocalTime


class ProgramAddressIn(RequestModel):
    text: str = Field(min_length=1, max_length=500)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    window: IntervalIn


class AddressesAgree(RequestModel):
    addresses: list[ProgramAddressIn] = Field(min_length=1, max_length=5)


class AddressChangeCreate(RequestModel):
    """HV-8: `add` (address), `replace` (address_id, address), `drop` (address_id) or
    `change_interval` (address_id, window), taking effect on `effective_on`."""

    action: ChangeAction
    effective_on: LocalDate
    address_id: UUID | None = None
    address: ProgramAddressIn | None = None
    window: IntervalIn | None = None


class IntervalRead(BaseModel):
    start: LocalTime
    end: LocalTime


class ProgramAddressRead(BaseModel):
    id: UUID
    enrollment_id: UUID
    text: str
    lat: float
    lon: float
    window: IntervalRead
    band_upper_km: float | None = Field(description="BIL-16 band; null inside the base zone")
    surcharge_percent: int | None
    valid_from: date
    valid_to: date | None


class AgreementRead(BaseModel):
    """The supplementary agreement recording the new terms (HV-8, P 12.6.5)."""

    id: UUID
    number: str
    enrollment_id: UUID
    action: ChangeAction
    filed_on: date
    effective_on: date
    filed_at: datetime
    old_band_km: float | None
    new_band_km: float | None
    old_surcharge_percent: int | None
    new_surcharge_percent: int | None
    band_changed: bool
    addresses: list[ProgramAddressRead]
