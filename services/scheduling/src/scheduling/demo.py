"""Demo data owned by scheduling: the two preset organizations, their branches, practitioners and
weekly shifts (loaded again safely: upserts by fixed id; events only for rows that changed).

The data is valid whatever day the stack lives on: policies took effect in 2020, shifts are
weekly from 2020 with no end, and certificates name only a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
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
    practitioner_id,
)
from clinic_common.events.outbox import Outbox
from clinic_common.settings import ServiceSettings

from scheduling.db import platform
from scheduling.organization import service as organizations
from scheduling.organization.domain import O_PRESET, P_PRESET, WeeklyInterval, daily
from scheduling.organization.schemas import BranchUpsert, OrganizationUpsert, PolicyVersionUpsert
from scheduling.practitioner import service as practitioners
from scheduling.practitioner.domain import VisitType
from scheduling.practitioner.schemas import Certificate, PractitionerUpsert, ShiftUpsert

POLICY_EFFECTIVE_FROM = date(2020, 1, 1)
POLICY_PUBLISHED_AT = datetime(2019, 12, 2, 6, 0, tzinfo=UTC)
SHIFTS_VALID_FROM = date(2020, 1, 1)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

# --- organizations and branches -------------------------------------------------------------------

ALMATY = OrganizationUpsert(
    id=ORG_ALMATY_ID,
    name="Almaty medical centre",
    country="KZ",
    currency="KZT",
    time_zone="Asia/Almaty",
    policy_versions=[
        PolicyVersionUpsert(
            effective_from=POLICY_EFFECTIVE_FROM, published_at=POLICY_PUBLISHED_AT, policy=O_PRESET
        )
    ],
    branches=[
        # Open every day, the O preset's timetable (the policy's default hours).
        BranchUpsert(
            id=ALMATY_BRANCH_DOSTYK_ID,
            name="Dostyk",
            address="Dostyk Avenue 105, Medeu District, Almaty 050051, Kazakhstan",
            lat=43.2331,
            lon=76.9566,
            sort_order=1,
        ),
        # Closed on Sunday, shorter Saturday.
        BranchUpsert(
            id=ALMATY_BRANCH_ABAY_ID,
            name="Abay",
            address="Abay Avenue 68/74, Almaly District, Almaty 050008, Kazakhstan",
            lat=43.2407,
            lon=76.9109,
            opening_hours=(
                *daily(time(8, 0), time(20, 0), range(5)),
                WeeklyInterval(weekday=SAT, opens=time(9, 0), closes=time(15, 0)),
            ),
            sort_order=2,
        ),
    ],
)

MOSCOW = OrganizationUpsert(
    id=ORG_MOSCOW_ID,
    name="Moscow polyclinic network",
    country="RU",
    currency="RUB",
    time_zone="Europe/Moscow",
    policy_versions=[
        PolicyVersionUpsert(
            effective_from=POLICY_EFFECTIVE_FROM, published_at=POLICY_PUBLISHED_AT, policy=P_PRESET
        )
    ],
    branches=[
        # P 11.1 opening hours and P 11.2 phone hours (the P preset's defaults); electronic queue (P 6.4).
        BranchUpsert(
            id=MOSCOW_BRANCH_ARBAT_ID,
            name="Arbat",
            address="Arbat Street 35, Moscow 119002, Russia",
            lat=55.7486,
            lon=37.5867,
            electronic_queue=True,
            sort_order=1,
        ),
        BranchUpsert(
            id=MOSCOW_BRANCH_MARYINO_ID,
            name="Maryino",
            address="Bratislavskaya Street 14, Moscow 109451, Russia",
            lat=55.6588,
            lon=37.7505,
            electronic_queue=True,
            sort_order=2,
        ),
    ],
)

ORGANIZATIONS = (ALMATY, MOSCOW)

# --- practitioners ------------------------------------------------------------------------------

Durations = tuple[int, int, int, int]  # first/repeat consultation, first/repeat examination (SCH-2)

DURATIONS: dict[str, Durations] = {
    "therapist": (30, 20, 30, 20),
    "general_practitioner": (30, 20, 30, 20),
    "pediatrician": (30, 20, 25, 15),
    "cardiologist": (40, 30, 40, 30),
    "neurologist": (40, 30, 40, 25),
    "ent": (25, 15, 20, 15),
    "ophthalmologist": (30, 20, 25, 15),
    "gynecologist": (30, 20, 30, 20),
    "dermatologist": (25, 15, 20, 15),
    "endocrinologist": (40, 25, 30, 20),
}

CERTIFICATE_TITLES: dict[str, str] = {
    "therapist": "Specialist certificate: internal medicine",
    "general_practitioner": "Specialist certificate: general medical practice (family medicine)",
    "pediatrician": "Specialist certificate: paediatrics",
    "cardiologist": "Specialist certificate: cardiology",
    "neurologist": "Specialist certificate: neurology",
    "ent": "Specialist certificate: otorhinolaryngology",
    "ophthalmologist": "Specialist certificate: ophthalmology",
    "gynecologist": "Specialist certificate: obstetrics and gynaecology",
    "dermatologist": "Specialist certificate: dermatovenereology",
    "endocrinologist": "Specialist certificate: endocrinology",
}

# Weekly timetable templates: (weekday, starts, ends) in branch-local time.
Timetable = tuple[tuple[int, time, time], ...]
MORNING = (time(8, 0), time(14, 0))
AFTERNOON = (time(14, 0), time(20, 0))
SATURDAY = (time(9, 0), time(15, 0))
SUNDAY = (time(10, 0), time(15, 0))
HOME_WEEKDAY = (time(8, 0), time(16, 0))
HOME_LATE = (time(10, 0), time(18, 0))


def _days(days: tuple[int, ...], hours: tuple[time, time]) -> Timetable:
    return tuple((d, hours[0], hours[1]) for d in days)


# Together the four clinic timetables cover every day; Sunday ones are dropped where a branch is closed.
CLINIC_TIMETABLES: tuple[Timetable, ...] = (
    (*_days((MON, WED, FRI), MORNING), *_days((SAT,), SATURDAY)),
    (*_days((TUE, THU), MORNING), *_days((MON, WED), AFTERNOON)),
    (*_days((TUE, THU, FRI), AFTERNOON), *_days((SUN,), SUNDAY)),
    (*_days((MON,), MORNING), *_days((THU,), AFTERNOON), *_days((SAT,), SATURDAY), *_days((SUN,), SUNDAY)),
)
HOME_CARE_TIMETABLES: tuple[Timetable, ...] = (
    _days((MON, TUE, WED, THU, FRI), HOME_WEEKDAY),
    _days((WED, THU, FRI, SAT, SUN), HOME_LATE),
)


@dataclass(frozen=True)
class DemoBranchStaff:
    organization_id: UUID
    branch_no: int
    branch_id: UUID
    open_on_sunday: bool
    clinic: tuple[tuple[str, str, str, int], ...]  # full name, specialty, qualification, experience
    home_care: tuple[tuple[str, str, str, int], ...] = ()


HIGHEST = "Doctor of the highest qualification category"
FIRST = "Doctor of the first qualification category"
SECOND = "Doctor of the second qualification category"
CANDIDATE = "Candidate of Medical Sciences, doctor of the highest qualification category"

STAFF: tuple[DemoBranchStaff, ...] = (
    DemoBranchStaff(
        ORG_ALMATY_ID,
        1,
        ALMATY_BRANCH_DOSTYK_ID,
        open_on_sunday=True,
        clinic=(
            ("Aigerim Nurlanovna Seitkali", "therapist", HIGHEST, 18),
            ("Daniyar Bolatovich Abenov", "pediatrician", FIRST, 11),
            ("Saule Kairatovna Zhunusova", "cardiologist", CANDIDATE, 24),
            ("Yerlan Maratovich Tulegenov", "neurologist", FIRST, 9),
        ),
    ),
    DemoBranchStaff(
        ORG_ALMATY_ID,
        2,
        ALMATY_BRANCH_ABAY_ID,
        open_on_sunday=False,
        clinic=(
            ("Madina Serikovna Omarova", "ent", HIGHEST, 15),
            ("Timur Askarovich Baimukhanov", "therapist", SECOND, 5),
            ("Gulnara Yerzhanovna Kassymova", "dermatologist", FIRST, 12),
            ("Arman Dauletovich Sarsenbayev", "endocrinologist", HIGHEST, 20),
        ),
    ),
    DemoBranchStaff(
        ORG_MOSCOW_ID,
        1,
        MOSCOW_BRANCH_ARBAT_ID,
        open_on_sunday=True,
        clinic=(
            ("Elena Sergeevna Volkova", "therapist", HIGHEST, 22),
            ("Andrey Viktorovich Sokolov", "cardiologist", CANDIDATE, 27),
            ("Olga Mikhailovna Kuznetsova", "neurologist", FIRST, 14),
            ("Dmitry Alexandrovich Morozov", "ent", FIRST, 10),
        ),
        home_care=(
            ("Irina Pavlovna Lebedeva", "therapist", HIGHEST, 19),
            ("Sergey Nikolaevich Popov", "pediatrician", FIRST, 13),
        ),
    ),
    DemoBranchStaff(
        ORG_MOSCOW_ID,
        2,
        MOSCOW_BRANCH_MARYINO_ID,
        open_on_sunday=True,
        clinic=(
            ("Natalia Igorevna Smirnova", "pediatrician", HIGHEST, 21),
            ("Alexey Olegovich Fedorov", "general_practitioner", SECOND, 6),
            ("Tatiana Vladimirovna Orlova", "ophthalmologist", FIRST, 16),
            ("Marina Yurievna Novikova", "gynecologist", HIGHEST, 23),
        ),
        home_care=(
            ("Pavel Andreevich Zaitsev", "therapist", FIRST, 12),
            ("Ekaterina Denisovna Belova", "pediatrician", SECOND, 7),
        ),
    ),
)

# A practitioner working at two branches: the Dostyk cardiologist also sees patients at Abay on Saturdays.
CROSS_BRANCH: dict[UUID, tuple[UUID, int, time, time]] = {
    practitioner_id(ORG_ALMATY_ID, 1, 3): (ALMATY_BRANCH_ABAY_ID, SAT, time(9, 0), time(15, 0)),
}


def demo_practitioners() -> list[PractitionerUpsert]:
    result: list[PractitionerUpsert] = []
    for staff in STAFF:
        people = [(p, False) for p in staff.clinic] + [(p, True) for p in staff.home_care]
        for n, ((full_name, specialty, qualification, experience), home_care) in enumerate(people, start=1):
            pid = practitioner_id(staff.organization_id, staff.branch_no, n)
            branch_ids = [staff.branch_id]
            if pid in CROSS_BRANCH:
                branch_ids.append(CROSS_BRANCH[pid][0])
            first_c, repeat_c, first_e, repeat_e = DURATIONS[specialty]
            result.append(
                PractitionerUpsert(
                    id=pid,
                    organization_id=staff.organization_id,
                    branch_ids=branch_ids,
                    full_name=full_name,
                    specialty=specialty,
                    qualification=qualification,
                    experience_years=experience,
                    certificates=[
                        Certificate(
                            title=CERTIFICATE_TITLES[specialty],
                            issuer="Kazakh Medical University of Continuing Education"
                            if staff.organization_id == ORG_ALMATY_ID
                            else "Russian Medical Academy of Continuous Professional Education",
                            year=2021 + n % 4,
                        )
                    ],
                    visit_durations={
                        VisitType.FIRST_CONSULTATION: first_c,
                        VisitType.REPEAT_CONSULTATION: repeat_c,
                        VisitType.FIRST_EXAMINATION: first_e,
                        VisitType.REPEAT_EXAMINATION: repeat_e,
                    },
                    home_care=home_care,
                )
            )
    return result


def demo_shifts() -> list[ShiftUpsert]:
    """Weekly shifts inside each branch's opening hours, one per practitioner and weekday
    (ids `demo_id("shift", practitioner_id, weekday)`)."""
    result: list[ShiftUpsert] = []
    for staff in STAFF:
        timetables = [*CLINIC_TIMETABLES[: len(staff.clinic)], *HOME_CARE_TIMETABLES[: len(staff.home_care)]]
        for n, timetable in enumerate(timetables, start=1):
            pid = practitioner_id(staff.organization_id, staff.branch_no, n)
            entries = [
                (staff.branch_id, d, s, e) for d, s, e in timetable if staff.open_on_sunday or d != SUN
            ]
            if pid in CROSS_BRANCH:
                other_branch, weekday, starts, ends = CROSS_BRANCH[pid]
                entries = [x for x in entries if x[1] != weekday] + [(other_branch, weekday, starts, ends)]
            for branch_id, weekday, starts, ends in entries:
                result.append(
                    ShiftUpsert(
                        id=demo_id("shift", pid, weekday),
                        practitioner_id=pid,
                        branch_id=branch_id,
                        weekday=weekday,
                        starts=starts,
                        ends=ends,
                        valid_from=SHIFTS_VALID_FROM,
                    )
                )
    return result


async def seed(session: AsyncSession, settings: ServiceSettings) -> None:
    """Load the demo organizations, practitioners and shifts; emit `*.upserted` for what changed."""
    now = clock_from_settings(settings.clock_file, settings.clock_start).now()
    outbox = Outbox(platform, source="scheduling")
    for organization in ORGANIZATIONS:
        await organizations.upsert_organization(session, outbox, organization, now)
    for practitioner in demo_practitioners():
        await practitioners.upsert_practitioner(session, outbox, practitioner, now)
    for shift in demo_shifts():
        await practitioners.upsert_shift(session, outbox, shift, now)
