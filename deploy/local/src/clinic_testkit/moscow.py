"""The Moscow demo organization as home-visits learns it from scheduling's and records' events.

One home for the world the home-visits tests and `make bench` teach the service: the
organization with its Arbat and Maryino branches and the P policy's home-visit settings, home-care
doctors with a shift every weekday, and patients.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Any
from uuid import UUID

from clinic_common.demo import MOSCOW_BRANCH_ARBAT_ID, MOSCOW_BRANCH_MARYINO_ID, ORG_MOSCOW_ID, demo_id
from clinic_common.events.catalog import EventPayload
from clinic_common.events.payloads.records import PatientRegistered
from clinic_common.events.payloads.scheduling import (
    BranchData,
    OpeningInterval,
    OrganizationUpserted,
    PolicyVersionData,
    PractitionerUpserted,
    ShiftUpserted,
)
from clinic_testkit.stack import Svc, teach

ARBAT = (55.7520, 37.5930)  # (lat, lon) of the Arbat branch
MARYINO = (55.65, 37.744)
SINCE = date(2026, 1, 1)
ZONE = "Europe/Moscow"
P_POLICY: dict[str, object] = {
    "home_visit_cutoff_working_day": "13:00:00",
    "home_visit_cutoff_day_off": "12:00:00",
    "home_visit_intake_hours": [{"weekday": d, "opens": "07:30:00", "closes": "22:00:00"} for d in range(7)],
    "deterioration_ack_minutes": 30,
}

Taught = tuple[EventPayload, UUID]
"""An event payload and the aggregate it belongs to."""


def organization(policy: dict[str, Any] = P_POLICY) -> OrganizationUpserted:
    """`organization.upserted` of the Moscow organization, open 08:00-21:00 every day."""
    hours = [OpeningInterval(weekday=d, opens=time(8), closes=time(21)) for d in range(7)]
    branches = [
        BranchData(
            id=branch,
            name=name,
            address=f"{name} 1",
            time_zone=ZONE,
            lat=lat,
            lon=lon,
            opening_hours=hours,
        )
        for branch, name, (lat, lon) in (
            (MOSCOW_BRANCH_ARBAT_ID, "Arbat", ARBAT),
            (MOSCOW_BRANCH_MARYINO_ID, "Maryino", MARYINO),
        )
    ]
    return OrganizationUpserted(
        id=ORG_MOSCOW_ID,
        name="Moscow polyclinics",
        country="RU",
        currency="RUB",
        time_zone=ZONE,
        branches=branches,
        policy=policy,
        policy_effective_from=SINCE,
        policy_versions=[PolicyVersionData(effective_from=SINCE, policy=policy)],
    )


def doctor(practitioner_id: UUID, name: str, *, home_care: bool = True) -> Taught:
    """`practitioner.upserted` of a therapist at Arbat (a home-care doctor unless said otherwise)."""
    return (
        PractitionerUpserted(
            id=practitioner_id,
            organization_id=ORG_MOSCOW_ID,
            branch_ids=[MOSCOW_BRANCH_ARBAT_ID],
            full_name=name,
            specialty="therapist",
            qualification="first",
            experience_years=10,
            home_care=home_care,
        ),
        practitioner_id,
    )


def weekly_shifts(practitioner_id: UUID, starts: time, ends: time, *, tag: str) -> list[Taught]:
    """`shift.upserted` at Arbat every weekday; `tag` keeps the shift ids of two worlds apart."""
    shifts: list[Taught] = []
    for weekday in range(7):
        shift_id = demo_id(tag, "shift", practitioner_id, weekday)
        shifts.append(
            (
                ShiftUpserted(
                    id=shift_id,
                    organization_id=ORG_MOSCOW_ID,
                    practitioner_id=practitioner_id,
                    branch_id=MOSCOW_BRANCH_ARBAT_ID,
                    weekday=weekday,
                    starts=starts,
                    ends=ends,
                    valid_from=SINCE,
                    time_zone=ZONE,
                ),
                shift_id,
            )
        )
    return shifts


def patient(patient_id: UUID, last_name: str, first_name: str, *, born: date = date(1980, 1, 1)) -> Taught:
    """`patient.registered` of a Moscow patient."""
    return (
        PatientRegistered(
            patient_id=patient_id,
            organization_id=ORG_MOSCOW_ID,
            last_name=last_name,
            first_name=first_name,
            birth_date=born,
            phone="+7 900 000 00 00",
            address_text="Moscow",
        ),
        patient_id,
    )


async def teach_all(svc: Svc, payloads: Sequence[Taught]) -> None:
    """Feed the events in order through the service's real handlers."""
    for payload, aggregate in payloads:
        await teach(svc, payload, aggregate_id=aggregate)
