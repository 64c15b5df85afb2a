"""HTTP layer of the price list module: parse, authorize, call the service, map to the schema."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from clinic_common.auth import PUBLIC, OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.money import Currency, Money, MoneyModel
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Instant

from billing import access
from billing.catalog.domain import DurationOutOfRange, ServiceDurationRequired
from billing.pricelist import service
from billing.pricelist.domain import (
    CurrencyNotAccepted,
    DuplicateServiceCode,
    EffectiveFromInPast,
    PriceListNotFound,
    PriceListVersionExists,
)
from billing.pricelist.schemas import PriceListCreate, PriceListItemRead, PriceListRead

router = APIRouter(tags=["price lists"])

DirectorDep = Annotated[Principal, access.PUBLISH_PRICE_LIST.dependency()]


def to_read(price_list: service.PriceList) -> PriceListRead:
    version, items = price_list
    return PriceListRead(
        id=version.id,
        organization_id=version.organization_id,
        effective_from=version.effective_from,
        approval_order=version.approval_order,
        created_at=version.created_at,
        items=[
            PriceListItemRead(
                service_code=i.service_code,
                name=i.name,
                price=MoneyModel.of(Money(i.price_minor, Currency(i.currency))),
                state_order=i.state_order,
                preventive=i.preventive,
                category=i.category,
            )
            for i in items
        ],
    )


@router.get(
    "/v1/price-list",
    response_model=PriceListRead,
    openapi_extra=PUBLIC,
    responses=problems(PriceListNotFound, unknown_entity("organization")),
)
async def read_price_list_in_force(
    request: Request,
    session: SessionDep,
    org: Annotated[UUID, Query(description="The organization")],
    at: Annotated[Instant | None, Query(description="Instant (RFC 3339 with offset); default now")] = None,
) -> PriceListRead:
    """The price list in force at `at`, on the organization's local date (BIL-1). Public."""
    instant = at if at is not None else request.app.state.clock.now()
    return to_read(await service.price_list_in_force(session, org, instant))


@router.post(
    "/v1/price-lists",
    status_code=201,
    response_model=PriceListRead,
    responses=problems(
        OrganizationForbidden,
        unknown_entity("organization"),
        EffectiveFromInPast,
        DuplicateServiceCode,
        CurrencyNotAccepted,
        DurationOutOfRange,
        ServiceDurationRequired,
        PriceListVersionExists,
    ),
)
async def create_price_list(
    request: Request, body: PriceListCreate, session: SessionDep, principal: DirectorDep
) -> PriceListRead:
    """A new price list version approved by the director's order (BIL-1, BIL-5); upserts the catalogue
    and emits `service.upserted` for each new or changed service."""
    now = request.app.state.clock.now()
    return to_read(await service.create_price_list(session, request.app.state.outbox, principal, body, now))
