"""Demo data owned by home-visits (loaded again safely): zones from the demo GeoJSON files (DEMO
data, not surveyed boundaries), distance bands, outlying branches.

Organizations, branches, practitioners and patients arrive as events from scheduling and records.
Fixed ids come from `clinic_common.demo`; only zones that changed are announced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.clock import clock_from_settings
from clinic_common.demo import (
    ALMATY_BRANCH_DOSTYK_ID,
    MOSCOW_BRANCH_ARBAT_ID,
    ORG_ALMATY_ID,
    ORG_MOSCOW_ID,
)
from clinic_common.events.outbox import Outbox
from clinic_common.settings import ServiceSettings

from home_visits.db import platform
from home_visits.zone.demo_zones import ALMATY_FILE, MOSCOW_FILE, demo_features
from home_visits.zone.domain import DistanceBand, ZoneShape
from home_visits.zone.geojson import to_shapes, zone_id
from home_visits.zone.service import import_zones

# BIL-16 (policy, P 12.6.2): (0, 15] km 15 %, (15, 30] km 30 %, (30, 50] km 50 %; beyond, not served.
DEMO_BANDS = (
    DistanceBand(upper_km=15, surcharge_percent=15),
    DistanceBand(upper_km=30, surcharge_percent=30),
    DistanceBand(upper_km=50, surcharge_percent=50),
)


@dataclass(frozen=True)
class DemoOrganization:
    id: UUID
    geojson: Path
    outlying_branch_id: UUID


DEMO_ORGANIZATIONS = (
    DemoOrganization(id=ORG_MOSCOW_ID, geojson=MOSCOW_FILE, outlying_branch_id=MOSCOW_BRANCH_ARBAT_ID),
    DemoOrganization(id=ORG_ALMATY_ID, geojson=ALMATY_FILE, outlying_branch_id=ALMATY_BRANCH_DOSTYK_ID),
)

__all__ = ["DEMO_BANDS", "DEMO_ORGANIZATIONS", "DemoOrganization", "demo_zone_shapes", "seed", "zone_id"]


def demo_zone_shapes(org: DemoOrganization) -> list[ZoneShape]:
    return to_shapes(org.id, list(demo_features(org.geojson)))


async def seed(session: AsyncSession, settings: ServiceSettings) -> None:
    """Zones (announced as `zone.upserted` when they change), bands and the outlying branch (HV-4)."""
    now = clock_from_settings(settings.clock_file, settings.clock_start).now()
    outbox = Outbox(platform, source=settings.service_name)
    for org in DEMO_ORGANIZATIONS:
        await import_zones(
            session,
            outbox,
            org.id,
            demo_zone_shapes(org),
            now,
            bands=DEMO_BANDS,
            outlying_branch_id=org.outlying_branch_id,
        )
