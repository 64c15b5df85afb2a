"""`python -m home_visits.cli migrate|wait-migrated|check|seed|load-zones`.

`load-zones FILE --organization ID [--outlying-branch ID] [--bands 15:15,30:30,50:50]` makes the
organization's zones exactly those of a GeoJSON FeatureCollection (see `zone/geojson.py` for the
properties each feature carries) and announces the changes as `zone.upserted`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from uuid import UUID

from clinic_common.cli import main_guard, run_cli
from clinic_common.clock import clock_from_settings
from clinic_common.db import Database
from clinic_common.errors import AppError
from clinic_common.events.outbox import Outbox

from home_visits.config import Settings, get_settings
from home_visits.db import platform
from home_visits.demo import seed
from home_visits.zone.domain import DistanceBand
from home_visits.zone.geojson import InvalidGeoJson, read_zones, to_shapes
from home_visits.zone.service import import_zones

SERVICE_DIR = Path(__file__).resolve().parents[2]


def parse_bands(text: str) -> list[DistanceBand]:
    """`15:15,30:30,50:50` -> bands up to 15 km 15 %, ... (BIL-16)."""
    bands = []
    for item in text.split(","):
        km, _, percent = item.partition(":")
        bands.append(DistanceBand(upper_km=float(km), surcharge_percent=int(percent)))
    return bands


async def load_zones(
    settings: Settings,
    path: Path,
    organization_id: UUID,
    outlying_branch_id: UUID | None,
    bands: list[DistanceBand] | None,
) -> int:
    shapes = to_shapes(organization_id, read_zones(path))
    now = clock_from_settings(settings.clock_file, settings.clock_start).now()
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.sessionmaker() as session, session.begin():
            return await import_zones(
                session,
                Outbox(platform, source=settings.service_name),
                organization_id,
                shapes,
                now,
                bands=bands,
                outlying_branch_id=outlying_branch_id,
                replace_outlying=outlying_branch_id is not None,
            )
    finally:
        await db.dispose()


def load_zones_command(argv: list[str], settings: Settings) -> int:
    parser = argparse.ArgumentParser(prog="python -m home_visits.cli load-zones")
    parser.add_argument("file", type=Path, help="a GeoJSON FeatureCollection of zone polygons")
    parser.add_argument("--organization", type=UUID, required=True)
    parser.add_argument("--outlying-branch", type=UUID, help="the branch for outlying addresses (HV-4)")
    parser.add_argument("--bands", type=parse_bands, help="distance bands km:percent,... (BIL-16)")
    args = parser.parse_args(argv)
    try:
        events = asyncio.run(
            load_zones(settings, args.file, args.organization, args.outlying_branch, args.bands)
        )
    except (InvalidGeoJson, AppError, OSError, ValueError) as exc:
        print(f"load-zones: {exc}", file=sys.stderr)
        return 2
    print(f"zones of {args.organization} loaded from {args.file}: {events} zone.upserted event(s)")
    return 0


def main(argv: list[str]) -> int:
    settings = get_settings()
    if argv[:1] == ["load-zones"]:
        return load_zones_command(argv[1:], settings)
    return run_cli(SERVICE_DIR, settings, seed, argv)


if __name__ == "__main__":
    main_guard(main(sys.argv[1:]))
