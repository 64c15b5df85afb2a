"""Request and response bodies of the price list API (api.md, Core shapes: Price list version)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from clinic_common.money import MoneyModel
from clinic_common.schemas import LocalDate, RequestModel

SERVICE_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
CATEGORY_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"


class PriceListItemCreate(RequestModel):
    service_code: str = Field(pattern=SERVICE_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=300, pattern=r"\S")
    # Shape only: a foreign currency passes the schema and is refused by BIL-5 (`currency_not_accepted`).
    price: MoneyModel
    state_order: bool = False
    preventive: bool = False
    category: str = Field(pattern=CATEGORY_PATTERN)
    # Catalogue terms; left out, the catalogue keeps its value. The SCH-2 range is judged by the rule.
    duration_minutes: int | None = Field(default=None, ge=1, le=1440)
    requires_referral: bool | None = None
    national_code: str | None = Field(
        default=None, pattern=r"^[0-9A-Za-z.\-]{1,32}$", description="KZ national catalogue code"
    )


class PriceListCreate(RequestModel):
    organization_id: UUID
    effective_from: LocalDate
    approval_order: str = Field(
        min_length=1, max_length=200, pattern=r"\S", description="The director's order (O 12.1)"
    )
    items: list[PriceListItemCreate] = Field(min_length=1, max_length=2000)


class PriceListItemRead(BaseModel):
    service_code: str
    name: str
    price: MoneyModel
    state_order: bool
    preventive: bool
    category: str


class PriceListRead(BaseModel):
    id: UUID
    organization_id: UUID
    effective_from: date
    approval_order: str
    created_at: datetime
    items: list[PriceListItemRead]
