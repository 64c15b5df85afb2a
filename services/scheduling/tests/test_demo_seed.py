"""The demo seed and the reference-data writes against a real database: idempotent loading,
`*.upserted` events only for changes, and the rules the writes enforce (ORG-3, SCH-1, SCH-2, SCH-5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clinic_common.db import Database
from clinic_common.demo import ALMATY_BRANCH_ABAY_ID, ORG_ALMATY_ID, ORG_MOSCOW_ID, demo_id, practitioner_id
from clinic_common.errors import AppError
from clinic_common.events.outbox import Outbox

from scheduling.config import Settings
from scheduling.db import platform
from scheduling.demo import MOSCOW, demo_practitioners, demo_shifts, seed
from scheduling.organization.domain import P_PRESET
from scheduling.organization.schemas import PolicyVersionUpsert
from scheduling.organization.service import upsert_organization
from scheduling.practitioner.schemas import ShiftUpsert
from scheduling.practitioner.service import upsert_practitioner, upsert_shift

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday 20 Nov 2026, 12:00 in Moscow
OUTBOX = Outbox(platform, source="scheduling")


@pytest.fixture
async def sessions(
    database_factory: Callable[[str], str], dev_keys: tuple[Path, Path]
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], Settings]]:
    settings = Settings(database_url=database_factory("scheduling"), jwt_public_key_file=dev_keys[1])
    db = Database(settings.database_url, pool_size=1)
    try:
        yield db.sessionmaker, settings
    finally:
        await db.dispose()


async def run_seed(sessions: tuple[async_sessionmaker[AsyncSession], Settings]) -> None:
    maker, settings = sessions
    async with maker() as session, session.begin():
        await seed(session, settings)


async def events(maker: async_sessionmaker[AsyncSession]) -> list[Any]:
    async with maker() as session:
        sql = "select type, aggregate_id, sequence, envelope from outbox order by position"
        return list((await session.execute(text(sql))).all())


async def test_demo_seed_loads_everything_once_and_again_without_events(
    sessions: tuple[async_sessionmaker[AsyncSession], Settings],
) -> None:
    maker, _ = sessions
    await run_seed(sessions)
    first = await events(maker)
    counts = Counter(e.type.split(".")[2] for e in first)
    assert counts == {
        "organization": 2,
        "practitioner": len(demo_practitioners()),
        "shift": len(demo_shifts()),
    }
    await run_seed(sessions)
    assert len(await events(maker)) == len(first)  # idempotent: nothing changed, nothing emitted
    async with maker() as session:
        shifts = (await session.execute(text("select count(*) from shifts"))).scalar_one()
        home = (
            await session.execute(text("select count(*) from practitioners where home_care"))
        ).scalar_one()
    assert (shifts, home) == (len(demo_shifts()), 4)


async def test_ORG_1_organization_event_carries_branches_and_the_policy_in_force(
    sessions: tuple[async_sessionmaker[AsyncSession], Settings],
) -> None:
    maker, _ = sessions
    await run_seed(sessions)
    moscow = next(e for e in await events(maker) if e.aggregate_id == str(ORG_MOSCOW_ID))
    data = moscow.envelope["data"]
    assert moscow.envelope["orgid"] == str(ORG_MOSCOW_ID)
    assert (data["policy"]["preset"], data["policy_effective_from"]) == ("P", "2020-01-01")
    # BIL-16, issue 9: distance bands are home-visits' (zone.upserted), never in scheduling's policy
    assert "distance_bands" not in data["policy"]
    assert all("distance_bands" not in v["policy"] for v in data["policy_versions"])
    assert [b["name"] for b in data["branches"]] == ["Arbat", "Maryino"]
    assert data["branches"][0]["opening_hours"][5] == {
        "weekday": 5,
        "opens": "08:30:00",
        "closes": "21:00:00",
    }


async def test_demo_seed_emits_again_only_for_what_changed(
    sessions: tuple[async_sessionmaker[AsyncSession], Settings],
) -> None:
    maker, _ = sessions
    await run_seed(sessions)
    before = len(await events(maker))
    changed_practitioner = practitioner_id(ORG_ALMATY_ID, 2, 1)
    async with maker() as session, session.begin():
        await session.execute(
            text("update practitioners set qualification = 'x' where id = :id"), {"id": changed_practitioner}
        )
    await run_seed(sessions)
    new = (await events(maker))[before:]
    assert [(e.type, e.aggregate_id, e.sequence) for e in new] == [
        ("clinic.scheduling.practitioner.upserted", str(changed_practitioner), 2)
    ]


async def test_ORG_3_a_new_policy_version_needs_five_working_days_notice(
    sessions: tuple[async_sessionmaker[AsyncSession], Settings],
) -> None:
    maker, _ = sessions
    await run_seed(sessions)
    stricter = P_PRESET.model_copy(update={"arrive_early_minutes": 20})
    # Published Friday 20 Nov 2026: the fifth working day after is Friday 27 Nov.
    too_soon = MOSCOW.model_copy(
        update={
            "policy_versions": [
                *MOSCOW.policy_versions,
                PolicyVersionUpsert(effective_from=date(2026, 11, 26), policy=stricter),
            ]
        }
    )
    with pytest.raises(AppError) as err:
        async with maker() as session, session.begin():
            await upsert_organization(session, OUTBOX, too_soon, NOW)
    assert (err.value.code, err.value.rule) == ("policy_notice_too_short", "ORG-3")

    in_time = MOSCOW.model_copy(
        update={
            "policy_versions": [
                *MOSCOW.policy_versions,
                PolicyVersionUpsert(effective_from=date(2026, 11, 27), policy=stricter),
            ]
        }
    )
    before = len(await events(maker))
    async with maker() as session, session.begin():
        await upsert_organization(session, OUTBOX, in_time, NOW)
    (event,) = (await events(maker))[before:]
    data = event.envelope["data"]
    assert data["policy"]["arrive_early_minutes"] == 15  # still the version in force today
    assert [v["effective_from"] for v in data["policy_versions"]] == ["2020-01-01", "2026-11-27"]


async def test_SCH_2_visit_length_outside_the_policy_refused(
    sessions: tuple[async_sessionmaker[AsyncSession], Settings],
) -> None:
    maker, _ = sessions
    await run_seed(sessions)
    p = demo_practitioners()[0]
    too_long = p.model_copy(update={"visit_durations": {**p.visit_durations, "first_consultation": 45}})
    with pytest.raises(AppError) as err:
        async with maker() as session, session.begin():
            await upsert_practitioner(session, OUTBOX, too_long, NOW)
    assert (err.value.code, err.value.rule) == ("visit_duration_out_of_range", "SCH-2")


async def test_SCH_5_and_SCH_1_shift_writes_are_checked(
    sessions: tuple[async_sessionmaker[AsyncSession], Settings],
) -> None:
    maker, _ = sessions
    await run_seed(sessions)
    pid = practitioner_id(ORG_ALMATY_ID, 2, 1)  # works at Abay, closed on Sunday

    def shift(weekday: int, starts: time, ends: time, branch: Any = ALMATY_BRANCH_ABAY_ID) -> ShiftUpsert:
        return ShiftUpsert(
            id=demo_id("test-shift", pid, weekday, starts),
            practitioner_id=pid,
            branch_id=branch,
            weekday=weekday,
            starts=starts,
            ends=ends,
            valid_from=date(2020, 1, 1),
        )

    cases = [
        (shift(6, time(10, 0), time(12, 0)), "shift_outside_opening_hours"),  # SCH-5: closed on Sunday
        (shift(0, time(19, 0), time(21, 0)), "shift_outside_opening_hours"),  # SCH-5: closes at 20:00
        (shift(0, time(9, 0), time(10, 0)), "shift_overlaps"),  # SCH-1: Monday morning already worked
        (shift(1, time(15, 0), time(16, 0), branch=ORG_MOSCOW_ID), "branch_not_assigned"),  # SCH-1
    ]
    for body, code in cases:
        with pytest.raises(AppError) as err:
            async with maker() as session, session.begin():
                await upsert_shift(session, OUTBOX, body, NOW)
        assert err.value.code == code, body
    before = len(await events(maker))
    async with maker() as session, session.begin():
        await upsert_shift(
            session, OUTBOX, shift(1, time(15, 0), time(16, 0)), NOW
        )  # Tuesday afternoon is free
    assert [e.type for e in (await events(maker))[before:]] == ["clinic.scheduling.shift.upserted"]
