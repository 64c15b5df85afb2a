"""Demo data owned by home-visits (loaded again safely): zones, distance bands, outlying branches.

Organizations, branches, practitioners and patients arrive as events from scheduling and records.
Fixed ids come from `clinic_common.demo`; only zones that changed are announced.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.clock import clock_from_settings
from clinic_common.demo import (
    ALMATY_BRANCH_ABAY_ID,
    ALMATY_BRANCH_DOSTYK_ID,
    MOSCOW_BRANCH_ARBAT_ID,
    MOSCOW_BRANCH_MARYINO_ID,
    ORG_ALMATY_ID,
    ORG_MOSCOW_ID,
    demo_id,
)
from clinic_common.events.outbox import Outbox
from clinic_common.settings import ServiceSettings

from home_visits.db import platform
from home_visits.zone.demo_zones import (
    ALMATY_ABAY_WEST,
    ALMATY_BASE,
    ALMATY_DOSTYK_EAST,
    MOSCOW_ARBAT,
    MOSCOW_BASE,
    MOSCOW_MARYINO,
)
from home_visits.zone.domain import DistanceBand, ZoneKind, ZoneShape, make_zone
from home_visits.zone.geo import Ring
from home_visits.zone.service import set_distance_bands, set_outlying_branch, upsert_zone

# BIL-16 (policy, P 12.6.2): (0, 15] km 15 %, (15, 30] km 30 %, (30, 50] km 50 %; beyond, not served.
DEMO_BANDS = (
    DistanceBand(upper_km=15, surcharge_percent=15),
    DistanceBand(upper_km=30, surcharge_percent=30),
    DistanceBand(upper_km=50, surcharge_percent=50),
)


@dataclass(frozen=True)
class DemoZone:
    key: str
    kind: ZoneKind
    name: str
    order: int
    branch_id: UUID | None
    ring: Ring


@dataclass(frozen=True)
class DemoOrganization:
    id: UUID
    zones: tuple[DemoZone, ...]
    outlying_branch_id: UUID


DEMO_ORGANIZATIONS = (
    DemoOrganization(
        id=ORG_MOSCOW_ID,
        zones=(
            DemoZone("base", ZoneKind.BASE, "Inside MKAD", 0, None, MOSCOW_BASE),
            DemoZone("arbat", ZoneKind.BRANCH, "Arbat", 1, MOSCOW_BRANCH_ARBAT_ID, MOSCOW_ARBAT),
            DemoZone("maryino", ZoneKind.BRANCH, "Maryino", 2, MOSCOW_BRANCH_MARYINO_ID, MOSCOW_MARYINO),
        ),
        outlying_branch_id=MOSCOW_BRANCH_ARBAT_ID,
    ),
    DemoOrganization(
        id=ORG_ALMATY_ID,
        zones=(
            DemoZone("base", ZoneKind.BASE, "Almaty city", 0, None, ALMATY_BASE),
            DemoZone("dostyk", ZoneKind.BRANCH, "Dostyk", 1, ALMATY_BRANCH_DOSTYK_ID, ALMATY_DOSTYK_EAST),
            DemoZone("abay", ZoneKind.BRANCH, "Abay", 2, ALMATY_BRANCH_ABAY_ID, ALMATY_ABAY_WEST),
        ),
        outlying_branch_id=ALMATY_BRANCH_DOSTYK_ID,
    ),
)


def zone_id(organization_id: UUID, key: str) -> UUID:
    return demo_id("home_visits", "zone", organization_id, key)


def demo_zone_shapes(org: DemoOrganization) -> list[ZoneShape]:
    return [
        make_zone(
            id=zone_id(org.id, z.key),
            organization_id=org.id,
            kind=z.kind,
            name=z.name,
            order=z.order,
            branch_id=z.branch_id,
            polygon=z.ring,
        )
        for z in org.zones
    ]


async def seed(session: AsyncSession, settings: ServiceSettings) -> None:
    """Zones (announced as `zone.upserted` when they change), bands and the outlying branch (HV-4)."""
    now = clock_from_settings(settings.clock_file, settings.clock_start).now()
    outbox = Outbox(platform, source=settings.service_name)
    for org in DEMO_ORGANIZATIONS:
        for shape in demo_zone_shapes(org):
            await upsert_zone(session, outbox, shape, now)
        await set_distance_bands(session, org.id, DEMO_BANDS)
        await set_outlying_branch(session, org.id, org.outlying_branch_id, now)
