"""Bodies of the discount API (api.md, Core shapes: Discount)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.schemas import LocalDate, RequestModel

from billing.pricelist.schemas import SERVICE_CODE_PATTERN


class DiscountKind(StrEnum):
    PROMOTION = "promotion"
    INDIVIDUAL = "individual"


class DiscountCreate(RequestModel):
    organization_id: UUID
    kind: DiscountKind
    # Free text naming the ground (BIL-11); a social ground passes the schema and is refused by the rule.
    basis: str = Field(min_length=1, max_length=300, pattern=r"\S")
    percent: str = Field(
        pattern=r"^(100(\.0{1,2})?|[1-9]?[0-9](\.[0-9]{1,2})?)$",
        description="0 < percent <= 100",
        examples=["10"],
    )
    service_codes: list[str] | None = Field(default=None, min_length=1, max_length=500)
    valid_from: LocalDate | None = None
    valid_to: LocalDate | None = None
    patient_id: UUID | None = None
    application_ref: str | None = Field(default=None, min_length=1, max_length=200)
    approved_by: str | None = Field(default=None, min_length=1, max_length=200)


class DiscountRead(BaseModel):
    id: UUID
    organization_id: UUID
    kind: DiscountKind
    basis: str
    percent: str
    service_codes: list[str] | None
    valid_from: date | None
    valid_to: date | None
    patient_id: UUID | None
    application_ref: str | None
    approved_by: str | None
    status: str
    created_at: datetime


SERVICE_CODES_PATTERN = SERVICE_CODE_PATTERN
