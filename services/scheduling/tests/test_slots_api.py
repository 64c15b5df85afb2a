"""Free slots on real PostgreSQL (SCH-2, SCH-5, SCH-8, SCH-11, ORG-1): computed from the weekly
shifts and their dated exceptions minus what is taken, in each branch's own zone, across public
holidays and transferred working days."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from clinic_common.demo import MOSCOW_BRANCH_ARBAT_ID, ORG_ALMATY_ID, ORG_MOSCOW_ID, practitioner_id

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.integration

ALMATY, MOSCOW = ZoneInfo("Asia/Almaty"), ZoneInfo("Europe/Moscow")
DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)  # Dostyk therapist: Mon/Wed/Fri 08-14, Sat 09-15
ARBAT_THERAPIST = practitioner_id(ORG_MOSCOW_ID, 1, 1)  # the same timetable at Arbat


async def slots(world: World, **params: Any) -> list[dict[str, Any]]:
    r = await world.client.get("/v1/slots", params={k: str(v) for k, v in params.items()})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def days_of(items: list[dict[str, Any]]) -> set[date]:
    return {datetime.fromisoformat(s["start"]).date() for s in items}


async def test_SCH_5_slots_fill_the_shift_on_the_visit_grid_in_the_branch_zone(world: World) -> None:
    day, shift = await world.shift_day(DOCTOR)
    items = await slots(
        world, practitioner_id=DOCTOR, service_code="therapist_first", **{"from": day, "to": day}
    )
    starts = [datetime.fromisoformat(s["start"]) for s in items]
    first = datetime.combine(day, shift.starts, ALMATY)
    assert starts[0] == first and starts[0].utcoffset() == timedelta(hours=5)
    assert all(b - a == timedelta(minutes=30) for a, b in itertools.pairwise(starts))
    assert datetime.fromisoformat(items[-1]["end"]) == datetime.combine(day, shift.ends, ALMATY)
    assert {s["visit_type"] for s in items} == {"first_consultation"}
    assert {s["branch_id"] for s in items} == {str(shift.branch_id)}


async def test_SCH_2_slot_length_from_the_practitioners_visit_type(world: World) -> None:
    day, _ = await world.shift_day(DOCTOR)
    period = {"from": day, "to": day}
    repeat = await slots(
        world,
        practitioner_id=DOCTOR,
        service_code="therapist_first",
        visit_type="repeat_consultation",
        **period,
    )
    lengths = {datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"]) for s in repeat}
    assert lengths == {timedelta(minutes=20)}  # the therapist's repeat visit, not the catalogue's 30
    sample = await slots(world, practitioner_id=DOCTOR, service_code="blood_sample", **period)
    assert {datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"]) for s in sample} == {
        timedelta(minutes=15)
    }  # not a practitioner's visit type: the catalogue's duration


async def test_SCH_4_a_booked_slot_is_no_longer_free_and_a_listed_slot_books(world: World) -> None:
    day, _ = await world.shift_day(DOCTOR)
    period = {"from": day, "to": day}
    before = await slots(world, practitioner_id=DOCTOR, service_code="therapist_first", **period)
    chosen = before[2]
    patient = await world.patient()
    r = await world.book(patient, DOCTOR, datetime.fromisoformat(chosen["start"]))
    assert r.status_code == 201, r.text
    after = await slots(world, practitioner_id=DOCTOR, service_code="therapist_first", **period)
    assert [s["start"] for s in after] == [s["start"] for s in before if s != chosen]


async def test_slots_filter_by_branch_specialty_practitioner_and_period(world: World) -> None:
    day, _ = await world.shift_day(DOCTOR)
    branch = await slots(
        world, branch_id=MOSCOW_BRANCH_ARBAT_ID, **{"from": day, "to": day + timedelta(days=6)}
    )
    assert {s["branch_id"] for s in branch} == {str(MOSCOW_BRANCH_ARBAT_ID)}
    assert all(datetime.fromisoformat(s["start"]).utcoffset() == timedelta(hours=3) for s in branch)
    cardio = await slots(
        world,
        organization_id=ORG_ALMATY_ID,
        specialty="cardiologist",
        **{"from": day, "to": day + timedelta(days=6)},
    )
    assert {s["practitioner_id"] for s in cardio} == {str(practitioner_id(ORG_ALMATY_ID, 1, 3))}
    assert days_of(cardio) <= {day + timedelta(days=n) for n in range(7)}
    refused = await world.client.get("/v1/slots")
    assert (refused.status_code, refused.json()["code"]) == (422, "slots_filter_required")
    too_long = await world.client.get(
        "/v1/slots",
        params={"practitioner_id": str(DOCTOR), "from": str(day), "to": str(day + timedelta(days=31))},
    )
    assert (too_long.status_code, too_long.json()["code"]) == (422, "period_too_long")
    unknown = await world.client.get("/v1/slots", params={"practitioner_id": str(uuid.uuid4())})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "practitioner_not_found")


async def test_slots_page_with_a_cursor(world: World) -> None:
    day, _ = await world.shift_day(DOCTOR)
    params = {"organization_id": str(ORG_ALMATY_ID), "from": str(day), "to": str(day + timedelta(days=2))}
    everything = (await world.client.get("/v1/slots", params=params)).json()["items"]
    first = (await world.client.get("/v1/slots", params={**params, "limit": "5"})).json()
    second = (
        await world.client.get("/v1/slots", params={**params, "limit": "5", "cursor": first["next_cursor"]})
    ).json()
    assert first["items"] + second["items"] == everything[:10]
    paged: list[dict[str, Any]] = []
    cursor: dict[str, str] = {}
    while True:  # pages of 3 end inside runs of slots that start at the same time
        page = (await world.client.get("/v1/slots", params={**params, "limit": "3", **cursor})).json()
        paged += page["items"]
        if not page["next_cursor"]:
            break
        cursor = {"cursor": page["next_cursor"]}
    assert paged == everything
    assert len({s["start"] for s in everything}) < len(everything)  # starts shared, paged by id
    bad = await world.client.get("/v1/slots", params={**params, "cursor": "nope"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_cursor")
    someone = everything[0]["practitioner_id"]
    for stamp, expected in (("9" * 40, []), ("-" + "9" * 40, everything), ("253402300799", [])):
        beyond = await world.client.get("/v1/slots", params={**params, "cursor": f"{stamp}_{someone}"})
        assert (beyond.status_code, beyond.json()["items"]) == (200, expected)


async def test_SCH_3_no_slot_inside_the_channels_lead_time(world: World) -> None:
    start = await world.start(DOCTOR)
    world.clock.set(start.astimezone(UTC) - timedelta(minutes=45))
    day = start.date()
    web = await slots(world, practitioner_id=DOCTOR, channel="website", **{"from": day, "to": day})
    registry = await slots(world, practitioner_id=DOCTOR, channel="registry", **{"from": day, "to": day})
    # 60 minutes of notice from start - 45 leaves start + 15; the next visit on the grid is start + 30
    assert datetime.fromisoformat(web[0]["start"]) == start + timedelta(minutes=30)
    assert datetime.fromisoformat(registry[0]["start"]) == start


# Russia, February 2027: Saturday 20 is a transferred working day, Monday 22 the day off it moved
# (holidays: "substituted from 02/20/2027"), Tuesday 23 Defender of the Fatherland Day.
@pytest.mark.parametrize("world", [datetime(2027, 2, 15, 6, 0, tzinfo=UTC)], indirect=True)
async def test_SCH_5_slots_across_a_holiday_and_a_transferred_working_day(world: World) -> None:
    items = await slots(
        world, practitioner_id=ARBAT_THERAPIST, **{"from": date(2027, 2, 19), "to": date(2027, 2, 24)}
    )
    # Mon/Wed/Fri mornings and Saturdays: Fri 19, the working Saturday 20, Wed 24; not Mon 22 (day off)
    assert days_of(items) == {date(2027, 2, 19), date(2027, 2, 20), date(2027, 2, 24)}
    saturday = [s for s in items if datetime.fromisoformat(s["start"]).date() == date(2027, 2, 20)]
    assert datetime.fromisoformat(saturday[0]["start"]) == datetime(2027, 2, 20, 9, 0, tzinfo=MOSCOW)
    # An extra working stretch names the date, so it counts on the holiday too (SCH-5: a shift says so)
    r = await world.client.post(
        f"/v1/practitioners/{ARBAT_THERAPIST}/shift-exceptions",
        json={
            "day": "2027-02-23",
            "kind": "extra",
            "branch_id": str(MOSCOW_BRANCH_ARBAT_ID),
            "starts": "10:00:00",
            "ends": "12:00:00",
        },
        headers=world.staff("director", ORG_MOSCOW_ID),
    )
    assert r.status_code == 201, r.text
    items = await slots(
        world, practitioner_id=ARBAT_THERAPIST, **{"from": date(2027, 2, 23), "to": date(2027, 2, 23)}
    )
    assert [datetime.fromisoformat(s["start"]).time() for s in items] == [
        time(10),
        time(10, 30),
        time(11),
        time(11, 30),
    ]
    envelopes = await world.events("shift_exception.upserted")
    assert [e.data["day"] for e in envelopes] == ["2027-02-23"]


@pytest.mark.parametrize("world", [datetime(2026, 12, 10, 6, 0, tzinfo=UTC)], indirect=True)
async def test_SCH_5_a_kazakh_holiday_has_no_slots_and_a_day_off_removes_a_date(world: World) -> None:
    items = await slots(
        world, practitioner_id=DOCTOR, **{"from": date(2026, 12, 14), "to": date(2026, 12, 18)}
    )
    assert days_of(items) == {date(2026, 12, 14), date(2026, 12, 18)}  # Wed 16: Independence Day
    r = await world.client.post(
        f"/v1/practitioners/{DOCTOR}/shift-exceptions",
        json={"day": "2026-12-18", "kind": "day_off", "note": "training"},
        headers=world.staff("director"),
    )
    assert r.status_code == 201, r.text
    items = await slots(
        world, practitioner_id=DOCTOR, **{"from": date(2026, 12, 14), "to": date(2026, 12, 18)}
    )
    assert days_of(items) == {date(2026, 12, 14)}
    hours_off = await world.client.post(
        f"/v1/practitioners/{DOCTOR}/shift-exceptions",
        json={"day": "2026-12-14", "kind": "day_off", "starts": "09:00:00", "ends": "13:00:00"},
        headers=world.staff("director"),
    )
    assert hours_off.status_code == 201, hours_off.text
    items = await slots(
        world, practitioner_id=DOCTOR, **{"from": date(2026, 12, 14), "to": date(2026, 12, 14)}
    )
    assert [datetime.fromisoformat(s["start"]).time() for s in items] == [
        time(8),
        time(8, 30),
        time(13),
        time(13, 30),
    ]
    listed = await world.client.get(
        f"/v1/practitioners/{DOCTOR}/shift-exceptions",
        params={"from": "2026-12-01", "to": "2026-12-31"},
        headers=world.staff(),
    )
    assert [(e["day"], e["kind"]) for e in listed.json()["items"]] == [
        ("2026-12-14", "day_off"),
        ("2026-12-18", "day_off"),
    ]


async def test_SCH_5_an_extra_stretch_outside_opening_hours_or_over_a_shift_is_refused(world: World) -> None:
    day, shift = await world.shift_day(DOCTOR)
    late = await world.client.post(
        f"/v1/practitioners/{DOCTOR}/shift-exceptions",
        json={
            "day": str(day),
            "kind": "extra",
            "branch_id": str(shift.branch_id),
            "starts": "20:00:00",
            "ends": "22:00:00",
        },
        headers=world.staff("director"),
    )
    assert (late.status_code, late.json()["code"]) == (422, "shift_outside_opening_hours")
    over = await world.client.post(
        f"/v1/practitioners/{DOCTOR}/shift-exceptions",
        json={
            "day": str(day),
            "kind": "extra",
            "branch_id": str(shift.branch_id),
            "starts": "09:00:00",
            "ends": "10:00:00",
        },
        headers=world.staff("director"),
    )
    assert (over.status_code, over.json()["code"]) == (409, "shift_overlaps")
    no_branch = await world.client.post(
        f"/v1/practitioners/{DOCTOR}/shift-exceptions",
        json={"day": str(day), "kind": "extra", "starts": "15:00:00", "ends": "16:00:00"},
        headers=world.staff("director"),
    )
    assert (no_branch.status_code, no_branch.json()["code"]) == (422, "invalid_shift_exception")
