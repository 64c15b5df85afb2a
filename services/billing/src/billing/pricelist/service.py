"""Price list use cases: load, apply the rules, persist, add events to the outbox. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import local_date
from clinic_common.errors import register_constraint_error
from clinic_common.events.outbox import Outbox

from billing import access
from billing.catalog.domain import ServiceDraft, check_duration
from billing.catalog.repository import ServiceUnknown
from billing.catalog.service import upsert_services
from billing.organization.repository import OrganizationRepository
from billing.pricelist.domain import (
    PriceListNotFound,
    PriceListVersionExists,
    check_currency,
    check_effective_from,
    check_unique_codes,
    price_list_day,
    version_in_force,
)
from billing.pricelist.models import PriceListItem, PriceListVersion
from billing.pricelist.repository import PriceListRepository
from billing.pricelist.schemas import PriceListCreate, PriceListItemCreate

# Two versions of one organization taking effect on the same date: the database settles it (BIL-1).
register_constraint_error(PriceListVersion.UNIQUE_EFFECTIVE_FROM, PriceListVersionExists)


PriceList = tuple[PriceListVersion, Sequence[PriceListItem]]


async def price_list_in_force(session: AsyncSession, organization_id: uuid.UUID, at: datetime) -> PriceList:
    """BIL-1: the version in force on the organization's local date of `at`; public, no login."""
    org = await OrganizationRepository(session).known(organization_id)
    repo = PriceListRepository(session)
    day = price_list_day(at, org.time_zone)
    chosen = version_in_force(await repo.version_refs(organization_id), day)
    if chosen is None:
        raise PriceListNotFound(f"no price list in force on {day}", date=day.isoformat())
    version = await repo.get(chosen.id)
    assert version is not None  # chosen from this organization's versions in this transaction
    return version, await repo.items_of(version.id)


def _draft(item: PriceListItemCreate) -> ServiceDraft:
    return ServiceDraft(
        code=item.service_code,
        name=item.name,
        category=item.category,
        preventive=item.preventive,
        state_order=item.state_order,
        duration_minutes=item.duration_minutes,
        requires_referral=item.requires_referral,
        national_code=item.national_code,
    )


async def create_price_list(
    session: AsyncSession, outbox: Outbox, principal: Principal, body: PriceListCreate, now: datetime
) -> PriceList:
    """BIL-1: a new version approved by the director's order; BIL-5: in the organization's currency.
    Upserts the catalogue services it lists and announces each new or changed one."""
    access.check_can_publish_price_list(principal, body.organization_id)
    org = await OrganizationRepository(session).known(body.organization_id)
    check_effective_from(body.effective_from, local_date(now, org.time_zone))
    check_unique_codes(i.service_code for i in body.items)
    check_currency(((i.service_code, i.price.currency.value) for i in body.items), org.currency)
    for item in body.items:
        if item.duration_minutes is not None:
            check_duration(item.service_code, item.duration_minutes)

    version = PriceListVersion(
        id=uuid.uuid4(),
        organization_id=org.id,
        effective_from=body.effective_from,
        approval_order=body.approval_order,
        created_at=now,
    )
    items = [
        PriceListItem(
            id=uuid.uuid4(),
            price_list_id=version.id,
            service_code=i.service_code,
            name=i.name,
            price_minor=i.price.to_money().amount_minor,
            currency=i.price.currency.value,
            state_order=i.state_order,
            preventive=i.preventive,
            category=i.category,
        )
        for i in body.items
    ]
    await PriceListRepository(session).add_version(version, items)
    await upsert_services(session, outbox, org.id, [_draft(i) for i in body.items], now)
    return version, sorted(items, key=lambda i: i.service_code)


async def price_on(
    session: AsyncSession, organization_id: uuid.UUID, service_code: str, day: date
) -> PriceListItem:
    """BIL-1: the item of the version in force on the organization-local `day`; a service the
    version does not list answers 422 `service_unknown`."""
    repo = PriceListRepository(session)
    chosen = version_in_force(await repo.version_refs(organization_id), day)
    if chosen is None:
        raise PriceListNotFound(f"no price list in force on {day}", date=day.isoformat())
    item = await repo.item(chosen.id, service_code)
    if item is None:
        raise ServiceUnknown(
            f"{service_code!r} is not on the price list in force on {day}", service_code=service_code
        )
    return item
