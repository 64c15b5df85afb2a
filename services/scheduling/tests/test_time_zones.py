"""Time zones (ORG-1): a visit at 23:30 local time falls on the right local day, in a Kazakh and a
Russian organization, and in a branch whose zone is not its organization's."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

import pytest

from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.billing import ServiceUpserted

from scheduling.db import platform
from scheduling.organization.domain import O_PRESET, P_PRESET, WeeklyInterval, daily
from scheduling.organization.schemas import BranchUpsert, OrganizationUpsert, PolicyVersionUpsert
from scheduling.organization.service import upsert_organization
from scheduling.practitioner.domain import VisitType
from scheduling.practitioner.schemas import PractitionerUpsert, ShiftUpsert
from scheduling.practitioner.service import upsert_practitioner, upsert_shift

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.integration

LATE = daily(time(8), time(23, 59))
DAY = date(2026, 12, 2)  # a Wednesday, no holiday in either country


async def late_night_clinic(
    world: World, country: str, org_zone: str, branch_zone: str
) -> tuple[uuid.UUID, uuid.UUID]:
    """An organization whose branch is open until 23:59, with a practitioner working 19:50-23:50
    (visits of 20 minutes, the last at 23:30)."""
    org_id, branch_id, doctor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    outbox = Outbox(platform, source="scheduling")
    now = world.clock.now()
    async with world.svc.state.db.sessionmaker() as session, session.begin():
        await upsert_organization(
            session,
            outbox,
            OrganizationUpsert(
                id=org_id,
                name=f"Night clinic {country}",
                country=country,  # type: ignore[arg-type]
                currency="KZT" if country == "KZ" else "RUB",  # type: ignore[arg-type]
                time_zone=org_zone,
                policy_versions=[
                    PolicyVersionUpsert(
                        effective_from=date(2020, 1, 1), policy=O_PRESET if country == "KZ" else P_PRESET
                    )
                ],
                branches=[
                    BranchUpsert(
                        id=branch_id,
                        name="Night",
                        address="Street 1",
                        time_zone=branch_zone,
                        opening_hours=LATE,
                        phone_booking_hours=LATE,
                    )
                ],
            ),
            now,
        )
        await upsert_practitioner(
            session,
            outbox,
            PractitionerUpsert(
                id=doctor,
                organization_id=org_id,
                branch_ids=[branch_id],
                full_name="Night Doctor",
                specialty="therapist",
                qualification="Doctor",
                experience_years=5,
                visit_durations=dict.fromkeys(VisitType, 20),
            ),
            now,
        )
        await upsert_shift(
            session,
            outbox,
            ShiftUpsert(
                id=uuid.uuid4(),
                practitioner_id=doctor,
                branch_id=branch_id,
                weekday=DAY.weekday(),
                starts=time(19, 50),
                ends=time(23, 50),
                valid_from=date(2020, 1, 1),
            ),
            now,
        )
    service_id = uuid.uuid4()
    await world.teach(
        ServiceUpserted(
            id=service_id,
            organization_id=org_id,
            code="night_visit",
            name="Night",
            duration_minutes=20,
            category="consultation",
        ),
        service_id,
    )
    return org_id, doctor


@pytest.mark.parametrize(
    ("country", "org_zone", "branch_zone", "offset"),
    [
        ("KZ", "Asia/Almaty", "Asia/Almaty", "+05:00"),
        ("RU", "Europe/Moscow", "Europe/Moscow", "+03:00"),
        ("RU", "Europe/Moscow", "Asia/Yekaterinburg", "+05:00"),  # the branch's own zone counts
    ],
    ids=["Almaty", "Moscow", "Moscow-org-Yekaterinburg-branch"],
)
async def test_ORG_1_a_visit_at_23_30_local_falls_on_its_local_day(
    world: World, country: str, org_zone: str, branch_zone: str, offset: str
) -> None:
    world.clock.set(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))
    org_id, doctor = await late_night_clinic(world, country, org_zone, branch_zone)
    listed = await world.client.get(
        "/v1/slots",
        params={
            "practitioner_id": str(doctor),
            "service_code": "night_visit",
            "from": str(DAY),
            "to": str(DAY),
        },
    )
    starts = [s["start"] for s in listed.json()["items"]]
    assert f"{DAY}T23:30:00{offset}" in starts
    assert all(s.startswith(str(DAY)) for s in starts)  # every slot on the branch's local date
    patient = await world.patient(org_id)
    booked = await world.client.post(
        "/v1/appointments",
        json={
            "patient_id": str(patient),
            "practitioner_id": str(doctor),
            "service_code": "night_visit",
            "start": f"{DAY}T23:30:00{offset}",
            "channel": "registry",
        },
        headers=world.staff(org=org_id),
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["start"] == f"{DAY}T23:30:00{offset}"
    assert booked.json()["end"] == f"{DAY}T23:50:00{offset}"

    async def on(day: date) -> list[str]:
        r = await world.client.get(
            "/v1/appointments", params={"date": str(day)}, headers=world.staff(org=org_id)
        )
        return [a["id"] for a in r.json()["items"]]

    assert await on(DAY) == [booked.json()["id"]]
    assert await on(date(2026, 12, 3)) == []
    # 23:30 in the branch zone expressed in UTC still lands on the same local slot
    utc = datetime.fromisoformat(f"{DAY}T23:30:00{offset}").astimezone(UTC)
    again = await world.client.post(
        "/v1/appointments",
        json={
            "patient_id": str(await world.patient(org_id)),
            "practitioner_id": str(doctor),
            "service_code": "night_visit",
            "start": utc.isoformat(),
            "channel": "registry",
        },
        headers=world.staff(org=org_id),
    )
    assert (again.status_code, again.json()["code"]) == (409, "slot_taken")
    # a start past the shift's end that day
    late = await world.client.post(
        "/v1/appointments",
        json={
            "patient_id": str(patient),
            "practitioner_id": str(doctor),
            "service_code": "night_visit",
            "start": f"{DAY}T23:50:00{offset}",
            "channel": "registry",
        },
        headers=world.staff(org=org_id),
    )
    assert (late.status_code, late.json()["code"]) == (422, "outside_working_hours")
    assert WeeklyInterval(weekday=0, opens=time(8), closes=time(23, 59)) in LATE
