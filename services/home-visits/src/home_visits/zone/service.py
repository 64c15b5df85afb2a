"""Zone use cases: load, apply the rules, persist, add events to the outbox. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import UnknownEntity
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.home_visits import ZoneUpserted

from home_visits import access
from home_visits.zone.domain import (
    DistanceBand,
    GeoPoint,
    ZoneDecision,
    ZoneShape,
    check_address,
    check_bands,
    make_zone,
    require_served,
)
from home_visits.zone.models import DistanceBandRow, Zone, ZonePolicy
from home_visits.zone.repository import ZoneRepository


def to_shape(zone: Zone) -> ZoneShape:
    return make_zone(
        id=zone.id,
        organization_id=zone.organization_id,
        kind=zone.kind,
        name=zone.name,
        order=zone.order,
        branch_id=zone.branch_id,
        polygon=zone.polygon,
    )


def _polygon_json(shape: ZoneShape) -> list[list[float]]:
    return [[lon, lat] for lon, lat in shape.ring]


async def upsert_zone(session: AsyncSession, outbox: Outbox, shape: ZoneShape, now: datetime) -> bool:
    """Write a zone as given (ORG-2, HV-4, BIL-15); announce `zone.upserted` only when it changed."""
    repo = ZoneRepository(session)
    polygon = _polygon_json(shape)
    zone = await repo.get(shape.id, for_update=True)
    if zone is None:
        zone = Zone(id=shape.id, organization_id=shape.organization_id)
        session.add(zone)
    elif (
        zone.organization_id == shape.organization_id
        and zone.branch_id == shape.branch_id
        and zone.kind == shape.kind.value
        and zone.name == shape.name
        and zone.order == shape.order
        and zone.polygon == polygon
    ):
        return False
    zone.organization_id = shape.organization_id
    zone.branch_id = shape.branch_id
    zone.kind = shape.kind.value
    zone.name = shape.name
    zone.order = shape.order
    zone.polygon = polygon
    zone.updated_at = now
    await session.flush()
    await outbox.add(
        session,
        type=type_of(ZoneUpserted),
        aggregate_id=shape.id,
        org_id=shape.organization_id,
        now=now,
        data=ZoneUpserted(
            id=shape.id,
            organization_id=shape.organization_id,
            branch_id=shape.branch_id,
            name=shape.name,
            kind=shape.kind.value,
            order=shape.order,
            polygon=list(shape.ring),
        ),
    )
    return True


async def set_distance_bands(
    session: AsyncSession, organization_id: UUID, bands: Sequence[DistanceBand]
) -> bool:
    """Replace the organization's distance bands (BIL-16 policy data); True when they changed."""
    ordered = check_bands(bands)
    repo = ZoneRepository(session)
    current = [(float(b.upper_km), b.surcharge_percent) for b in await repo.bands(organization_id)]
    if current == [(b.upper_km, b.surcharge_percent) for b in ordered]:
        return False
    await repo.replace_bands(
        organization_id,
        [
            DistanceBandRow(
                organization_id=organization_id,
                upper_km=Decimal(str(b.upper_km)),
                surcharge_percent=b.surcharge_percent,
            )
            for b in ordered
        ],
    )
    return True


async def set_outlying_branch(
    session: AsyncSession, organization_id: UUID, branch_id: UUID | None, now: datetime
) -> bool:
    """Designate the branch for addresses outside every branch zone (HV-4); True when it changed."""
    repo = ZoneRepository(session)
    policy = await repo.policy(organization_id)
    if policy is None:
        session.add(ZonePolicy(organization_id=organization_id, outlying_branch_id=branch_id, updated_at=now))
    elif policy.outlying_branch_id != branch_id:
        policy.outlying_branch_id = branch_id
        policy.updated_at = now
    else:
        return False
    await session.flush()
    return True


async def _known_organization(repo: ZoneRepository, principal: Principal, organization_id: UUID) -> None:
    access.check_can_read_zones(principal, organization_id)
    if await repo.organization(organization_id) is None:
        raise UnknownEntity("organization", organization_id)


async def list_zones(session: AsyncSession, principal: Principal, organization_id: UUID) -> Sequence[Zone]:
    repo = ZoneRepository(session)
    await _known_organization(repo, principal, organization_id)
    return await repo.of_organization(organization_id)


async def check_zone(
    session: AsyncSession, principal: Principal, organization_id: UUID, point: GeoPoint
) -> ZoneDecision:
    """HV-4, BIL-15, BIL-16: the serving branch and distance band of an address, or the refusal."""
    repo = ZoneRepository(session)
    await _known_organization(repo, principal, organization_id)
    zones = [to_shape(z) for z in await repo.of_organization(organization_id)]
    bands = [
        DistanceBand(upper_km=float(b.upper_km), surcharge_percent=b.surcharge_percent)
        for b in await repo.bands(organization_id)
    ]
    policy = await repo.policy(organization_id)
    decision = check_address(point, zones, bands, policy.outlying_branch_id if policy else None)
    return require_served(decision)
