"""Catalogue use cases: apply what price lists say of services, announce each change. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.billing import ServiceUpserted

from billing.catalog.domain import ServiceDraft, ServiceTerms, merge_service
from billing.catalog.models import Service
from billing.catalog.repository import ServiceRepository


def _random_id(code: str) -> uuid.UUID:
    return uuid.uuid4()


def terms_of(service: Service) -> ServiceTerms:
    return ServiceTerms(
        code=service.code,
        name=service.name,
        duration_minutes=service.duration_minutes,
        category=service.category,
        requires_referral=service.requires_referral,
        preventive=service.preventive,
        state_order=service.state_order,
        active=service.active,
        national_code=service.national_code,
    )


def _apply(service: Service, terms: ServiceTerms) -> None:
    service.name = terms.name
    service.duration_minutes = terms.duration_minutes
    service.category = terms.category
    service.requires_referral = terms.requires_referral
    service.preventive = terms.preventive
    service.state_order = terms.state_order
    service.active = terms.active
    service.national_code = terms.national_code


async def upsert_services(
    session: AsyncSession,
    outbox: Outbox,
    organization_id: uuid.UUID,
    drafts: Sequence[ServiceDraft],
    now: datetime,
    *,
    new_id: Callable[[str], uuid.UUID] = _random_id,
) -> list[Service]:
    """Create or update the catalogue services the drafts name; emit `service.upserted` for each one
    new or changed (only those), so scheduling and home-visits learn durations and flags."""
    repo = ServiceRepository(session)
    existing = await repo.by_codes(organization_id, {d.code for d in drafts})
    changed: list[Service] = []
    for draft in drafts:
        service = existing.get(draft.code)
        before = terms_of(service) if service is not None else None
        terms = merge_service(before, draft)
        if terms == before:
            continue
        if service is None:
            service = Service(id=new_id(draft.code), organization_id=organization_id, code=draft.code)
            _apply(service, terms)
            session.add(service)
        else:
            _apply(service, terms)
        changed.append(service)
    await session.flush()
    for service in changed:
        await outbox.add(
            session,
            type=type_of(ServiceUpserted),
            aggregate_id=service.id,
            org_id=service.organization_id,
            now=now,
            data=ServiceUpserted(
                id=service.id,
                organization_id=service.organization_id,
                code=service.code,
                name=service.name,
                duration_minutes=service.duration_minutes,
                category=service.category,
                requires_referral=service.requires_referral,
                preventive=service.preventive,
                state_order=service.state_order,
                active=service.active,
            ),
        )
    return changed
