"""Request and response bodies of the practitioner module (api.md, Core shapes: Practitioner)."""

from __future__ import annotations

import re
from datetime import date, time
from uuid import UUID

from pydantic import BaseModel, Field, field_validator, model_validator

from clinic_common.schemas import LocalDate, LocalTime, RequestModel

from scheduling.practitioner.domain import VisitType


class Certificate(RequestModel):
    title: str = Field(min_length=1, max_length=300)
    issuer: str | None = Field(default=None, max_length=300)
    year: int | None = Field(default=None, ge=1950, le=2100)


# --- writes (the demo seed today; admin endpoints later) ----------------------------------------


class PractitionerUpsert(RequestModel):
    id: UUID
    organization_id: UUID
    branch_ids: list[UUID] = Field(min_length=1, max_length=50)
    full_name: str = Field(min_length=1, max_length=200)
    specialty: str = Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z_]*$")
    qualification: str = Field(min_length=1, max_length=300)
    experience_years: int = Field(ge=0, le=80)
    certificates: list[Certificate] = Field(default_factory=list, max_length=50)
    # Shape only; the SCH-2 rule judges the lengths against the organization's policy.
    visit_durations: dict[VisitType, int] = Field(description="Minutes per visit type (SCH-2)")
    home_care: bool = False
    active: bool = True


class ShiftUpsert(RequestModel):
    id: UUID
    practitioner_id: UUID
    branch_id: UUID
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    starts: LocalTime = Field(description="Branch-local wall-clock time")
    ends: LocalTime
    valid_from: LocalDate
    valid_to: LocalDate | None = None
    works_on_holidays: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> ShiftUpsert:
        if not self.starts < self.ends:
            raise ValueError("starts must be before ends")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


# --- reads --------------------------------------------------------------------------------------


class CertificateRead(BaseModel):
    title: str
    issuer: str | None = None
    year: int | None = None


class PractitionerRead(BaseModel):
    """SCH-1: what patients see of a practitioner."""

    id: UUID
    organization_id: UUID
    branch_ids: list[UUID]
    full_name: str
    specialty: str
    qualification: str
    experience_years: int
    certificates: list[CertificateRead]
    home_care: bool
    active: bool
    visit_durations: dict[str, int] = Field(description="Minutes per visit type (SCH-2)")


class ShiftRead(BaseModel):
    """A weekly shift; `starts`/`ends` are wall-clock times in the branch's `time_zone`."""

    id: UUID
    practitioner_id: UUID
    branch_id: UUID
    time_zone: str
    weekday: int
    starts: LocalTime
    ends: LocalTime
    valid_from: date
    valid_to: date | None
    works_on_holidays: bool


class ShiftExceptionCreate(RequestModel):
    """SCH-1: an extra working stretch (`extra`: branch, starts, ends) or time off (`day_off`:
    the whole day, or starts-ends of it) on a branch-local date."""

    id: UUID | None = Field(default=None, description="Given to update an exception; new otherwise")
    day: LocalDate
    kind: str = Field(pattern="^(extra|day_off)$")
    branch_id: UUID | None = None
    starts: LocalTime | None = None
    ends: LocalTime | None = None
    note: str | None = Field(default=None, max_length=500)

    @field_validator("starts", "ends", mode="before")
    @classmethod
    def _wall_clock(cls, value: object) -> object:
        """A branch-local hh:mm:ss string, as the document says (never a number or an offset)."""
        if value is None or (isinstance(value, time) and value.tzinfo is None):
            return value
        if isinstance(value, str) and re.fullmatch(
            r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?", value
        ):
            return value
        raise ValueError("expected a wall-clock time hh:mm:ss without an offset")


class ShiftExceptionRead(BaseModel):
    id: UUID
    practitioner_id: UUID
    day: date
    kind: str
    branch_id: UUID | None
    starts: LocalTime | None
    ends: LocalTime | None
    note: str | None
