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
from clinic_common.events.payloads.home_visits import DistanceBandData, ZoneUpserted

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


def _zone_event(
    zone: Zone, bands: Sequence[DistanceBand], outlying_branch_id: UUID | None, *, active: bool = True
) -> ZoneUpserted:
    return ZoneUpserted(
        id=zone.id,
        organization_id=zone.organization_id,
        branch_id=zone.branch_id,
        name=zone.name,
        kind=zone.kind,
        order=zone.order,
        polygon=[(lon, lat) for lon, lat in zone.polygon],
        distance_bands=[
            DistanceBandData(upper_km=b.upper_km, surcharge_percent=b.surcharge_percent) for b in bands
        ],
        outlying_branch_id=outlying_branch_id,
        active=active,
    )


async def _announce(session: AsyncSession, outbox: Outbox, event: ZoneUpserted, now: datetime) -> None:
    await outbox.add(
        session,
        type=type_of(ZoneUpserted),
        aggregate_id=event.id,
        org_id=event.organization_id,
        now=now,
        data=event,
    )


def _same(zone: Zone, shape: ZoneShape) -> bool:
    return (
        zone.organization_id == shape.organization_id
        and zone.branch_id == shape.branch_id
        and zone.kind == shape.kind.value
        and zone.name == shape.name
        and zone.order == shape.order
        and zone.polygon == _polygon_json(shape)
    )


async def import_zones(
    session: AsyncSession,
    outbox: Outbox,
    organization_id: UUID,
    shapes: Sequence[ZoneShape],
    now: datetime,
    *,
    bands: Sequence[DistanceBand] | None = None,
    outlying_branch_id: UUID | None = None,
    replace_outlying: bool = True,
) -> int:
    """Make the organization's zones exactly `shapes` (from GeoJSON; ORG-2, HV-4, BIL-15), with its
    distance bands (BIL-16) and outlying branch (HV-4) when given; zones not listed are removed.

    Each zone that changed is announced as `zone.upserted` (a removed one with `active` false);
    when the bands or the outlying branch change, every zone is, since the event carries them.
    Returns how many events were written."""
    if any(s.organization_id != organization_id for s in shapes):
        raise ValueError("every zone must belong to the organization being loaded")
    repo = ZoneRepository(session)
    org_changed = False
    if bands is not None:
        org_changed |= await set_distance_bands(session, organization_id, bands)
    if replace_outlying:
        org_changed |= await set_outlying_branch(session, organization_id, outlying_branch_id, now)
    current_bands = await _bands(repo, organization_id)
    policy = await repo.policy(organization_id)
    outlying = policy.outlying_branch_id if policy else None
    existing = {z.id: z for z in await repo.of_organization(organization_id, for_update=True)}
    wanted = {s.id for s in shapes}
    events: list[ZoneUpserted] = []
    for zone_id_, zone in existing.items():
        if zone_id_ not in wanted:
            events.append(_zone_event(zone, current_bands, outlying, active=False))
            await session.delete(zone)
    changed_ids = {
        s.id for s in shapes if org_changed or s.id not in existing or not _same(existing[s.id], s)
    }
    # Orders are unique per organization (HV-4): park the changed ones out of the way first, so
    # a file that swaps two zones' ranks does not collide with itself.
    for n, zone in enumerate(z for z in existing.values() if z.id in changed_ids):
        zone.order = -1 - n
    await session.flush()
    for shape in shapes:
        found = existing.get(shape.id)
        changed = shape.id in changed_ids
        zone = found if found is not None else Zone(id=shape.id, organization_id=organization_id)
        if found is None:
            session.add(zone)
        zone.branch_id = shape.branch_id
        zone.kind = shape.kind.value
        zone.name = shape.name
        zone.order = shape.order
        zone.polygon = _polygon_json(shape)
        if changed:
            zone.updated_at = now
            events.append(_zone_event(zone, current_bands, outlying))
    await session.flush()
    for event in events:
        await _announce(session, outbox, event, now)
    return len(events)


async def upsert_zone(session: AsyncSession, outbox: Outbox, shape: ZoneShape, now: datetime) -> bool:
    """Write one zone as given (ORG-2, HV-4, BIL-15); announce `zone.upserted` only when it changed."""
    repo = ZoneRepository(session)
    zone = await repo.get(shape.id, for_update=True)
    if zone is not None and _same(zone, shape):
        return False
    if zone is None:
        zone = Zone(id=shape.id, organization_id=shape.organization_id)
        session.add(zone)
    zone.organization_id = shape.organization_id
    zone.branch_id = shape.branch_id
    zone.kind = shape.kind.value
    zone.name = shape.name
    zone.order = shape.order
    zone.polygon = _polygon_json(shape)
    zone.updated_at = now
    await session.flush()
    policy = await repo.policy(shape.organization_id)
    bands = await _bands(repo, shape.organization_id)
    await _announce(
        session, outbox, _zone_event(zone, bands, policy.outlying_branch_id if policy else None), now
    )
    return True


async def _bands(repo: ZoneRepository, organization_id: UUID) -> list[DistanceBand]:
    return [
        DistanceBand(upper_km=float(b.upper_km), surcharge_percent=b.surcharge_percent)
        for b in await repo.bands(organization_id)
    ]


async def set_distance_bands(
    session: AsyncSession, organization_id: UUID, bands: Sequence[DistanceBand]
) -> bool:
    """Replace the organization's distance bands (BIL-16 policy data); True when they changed."""
    ordered = check_bands(bands)
    repo = ZoneRepository(session)
    current = [(b.upper_km, b.surcharge_percent) for b in await _bands(repo, organization_id)]
    if current == [(float(b.upper_km), b.surcharge_percent) for b in ordered]:
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


async def decide_address(session: AsyncSession, organization_id: UUID, point: GeoPoint) -> ZoneDecision:
    """HV-4, BIL-15, BIL-16 for an organization's address: the serving branch and distance band
    (not yet refused when unserved; `require_served` does that)."""
    repo = ZoneRepository(session)
    zones = [to_shape(z) for z in await repo.of_organization(organization_id)]
    policy = await repo.policy(organization_id)
    return check_address(
        point, zones, await _bands(repo, organization_id), policy.outlying_branch_id if policy else None
    )


async def check_zone(
    session: AsyncSession, principal: Principal, organization_id: UUID, point: GeoPoint
) -> ZoneDecision:
    """HV-4, BIL-15, BIL-16: the serving branch and distance band of an address, or the refusal."""
    repo = ZoneRepository(session)
    await _known_organization(repo, principal, organization_id)
    return require_served(await decide_address(session, organization_id, point))
