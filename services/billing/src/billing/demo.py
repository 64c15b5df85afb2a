"""Demo data owned by billing (loaded again safely): the service catalogue and price lists of both
demo organizations. Written directly, since the seed runs before scheduling's organizations arrive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.clock import clock_from_settings
from clinic_common.demo import ORG_ALMATY_ID, ORG_MOSCOW_ID, demo_id
from clinic_common.events.outbox import Outbox
from clinic_common.money import Currency
from clinic_common.settings import ServiceSettings

from billing.catalog.domain import ServiceDraft
from billing.catalog.service import upsert_services
from billing.db import platform
from billing.pricelist.repository import PriceListRepository

PROGRAM_CODE = "program_adult_annual_mkad"

# Before any day the local stack may live on, so the demo price lists are always in force (BIL-1).
DEMO_EFFECTIVE_FROM = date(2020, 1, 1)


@dataclass(frozen=True)
class DemoService:
    code: str
    name: str
    category: str
    duration_minutes: int  # SCH-2: 15-40
    kzt: int  # whole tenge
    rub: int  # whole roubles
    requires_referral: bool = False  # SCH-9: under a program, only on a referral
    state_order: bool = False  # BIL-2: never charged to the patient
    almaty_only: bool = False
    moscow_only: bool = False


DEMO_SERVICES: tuple[DemoService, ...] = (
    DemoService("therapist_first", "Приём терапевта первичный", "consultation", 30, 12_000, 2_500),
    DemoService("therapist_repeat", "Приём терапевта повторный", "consultation", 20, 9_000, 2_000),
    DemoService("pediatrician_first", "Приём педиатра первичный", "consultation", 30, 12_000, 2_500),
    DemoService("pediatrician_repeat", "Приём педиатра повторный", "consultation", 20, 9_000, 2_000),
    DemoService("cardiologist_first", "Приём кардиолога первичный", "consultation", 40, 15_000, 3_200),
    DemoService("cardiologist_repeat", "Приём кардиолога повторный", "consultation", 30, 12_000, 2_700),
    DemoService("neurologist_first", "Приём невролога первичный", "consultation", 40, 15_000, 3_200),
    DemoService("neurologist_repeat", "Приём невролога повторный", "consultation", 30, 12_000, 2_700),
    DemoService("ent_first", "Приём оториноларинголога (ЛОР) первичный", "consultation", 30, 12_000, 2_800),
    DemoService("ent_repeat", "Приём оториноларинголога (ЛОР) повторный", "consultation", 20, 9_000, 2_300),
    DemoService(
        "ecg",
        "Электрокардиография (ЭКГ) с расшифровкой",
        "instrumental",
        20,
        5_000,
        1_200,
        requires_referral=True,
    ),
    DemoService(
        "ultrasound_abdomen",
        "УЗИ органов брюшной полости",
        "instrumental",
        30,
        10_000,
        2_800,
        requires_referral=True,
    ),
    DemoService(
        "blood_sample", "Взятие крови из вены", "sample_collection", 15, 1_500, 350, requires_referral=True
    ),
    DemoService(
        "injection_im", "Внутримышечная инъекция", "procedure", 15, 2_000, 400, requires_referral=True
    ),
    DemoService("home_visit_planned", "Вызов врача на дом (плановый)", "home_visit", 40, 20_000, 4_500),
    DemoService("home_visit_urgent", "Вызов врача на дом (неотложный)", "home_visit", 40, 30_000, 6_500),
    DemoService("home_visit_false_call", "Ложный вызов врача на дом", "home_visit", 15, 10_000, 3_000),
    DemoService(
        "home_sample_collection",
        "Забор биоматериала на дому",
        "sample_collection",
        15,
        4_000,
        1_500,
        requires_referral=True,
    ),
    DemoService("medical_certificate", "Медицинская справка", "document", 15, 3_000, 800),
    DemoService("medical_record_extract", "Выписка из медицинской карты", "document", 15, 4_000, 1_200),
    DemoService(
        "dental_cleaning_ultrasound",
        "Снятие зубных отложений ультразвуком",
        "dental_hygiene",
        30,
        15_000,
        3_500,
    ),
    DemoService(
        "holter_ecg", "Суточное мониторирование ЭКГ (Холтер)", "holter_monitoring", 30, 25_000, 5_500
    ),
    DemoService(
        PROGRAM_CODE,
        "Программа «Взрослая годовая», обслуживание на дому в пределах МКАД",
        "program",
        15,
        0,
        95_000,
        moscow_only=True,
    ),
    DemoService(
        "gobmp_therapist",
        "Приём терапевта в рамках ГОБМП",
        "consultation",
        20,
        0,
        0,
        state_order=True,
        almaty_only=True,
    ),
)


@dataclass(frozen=True)
class DemoPriceList:
    organization_id: UUID
    currency: Currency
    approval_order: str


DEMO_PRICE_LISTS: tuple[DemoPriceList, ...] = (
    DemoPriceList(ORG_ALMATY_ID, Currency.KZT, "Приказ директора № 45-П от 20.12.2019"),
    DemoPriceList(ORG_MOSCOW_ID, Currency.RUB, "Приказ генерального директора № 112 от 23.12.2019"),
)


def services_of(price_list: DemoPriceList) -> list[DemoService]:
    almaty = price_list.organization_id == ORG_ALMATY_ID
    return [s for s in DEMO_SERVICES if (almaty or not s.almaty_only) and (not almaty or not s.moscow_only)]


async def seed(session: AsyncSession, settings: ServiceSettings) -> None:
    """Price lists effective 2020-01-01 for both demo organizations; `service.upserted` only for
    catalogue rows that are new or changed, so a second run emits nothing."""
    now = clock_from_settings(settings.clock_file, settings.clock_start).now()
    outbox = Outbox(platform, source="billing")
    repo = PriceListRepository(session)
    for pl in DEMO_PRICE_LISTS:
        org = pl.organization_id
        version_id = await repo.put_version(
            id_=demo_id("billing", "price_list", org, DEMO_EFFECTIVE_FROM),
            organization_id=org,
            effective_from=DEMO_EFFECTIVE_FROM,
            approval_order=pl.approval_order,
            now=now,
        )
        services = services_of(pl)
        await repo.put_items(
            version_id,
            [
                {
                    "id": demo_id("billing", "price_list_item", version_id, s.code),
                    "service_code": s.code,
                    "name": s.name,
                    "price_minor": (s.kzt if pl.currency is Currency.KZT else s.rub) * 100,
                    "currency": pl.currency.value,
                    "state_order": s.state_order,
                    "preventive": False,
                    "category": s.category,
                }
                for s in services
            ],
        )
        await upsert_services(
            session,
            outbox,
            org,
            [
                ServiceDraft(
                    code=s.code,
                    name=s.name,
                    category=s.category,
                    preventive=False,
                    state_order=s.state_order,
                    duration_minutes=s.duration_minutes,
                    requires_referral=s.requires_referral,
                    # KZ receipts name positions by the national catalogue code (demo codes).
                    national_code=f"86.22.{n:03d}" if pl.currency is Currency.KZT else None,
                )
                for n, s in enumerate(services, start=1)
            ],
            now,
            new_id=partial(demo_id, "billing", "service", org),
        )
    await seed_program(session, now)


DEMO_PROGRAM_ID = demo_id("billing", "program", ORG_MOSCOW_ID, PROGRAM_CODE)

# P 12.8 as the demo program's data (BIL-13): service categories (12.8.1), diseases (12.8.2, ICD-10),
# conditions barring the sale (12.8.3) and dental exclusions (12.8.4).
P_12_8_EXCLUSIONS: tuple[tuple[str, str, str, str], ...] = (
    ("category", "pregnancy_care", "Беременность и дородовое наблюдение", "P 12.8.1"),
    ("category", "contraception", "Подбор контрацепции, ВМС", "P 12.8.1"),
    ("category", "aesthetic", "Эстетические процедуры и операции", "P 12.8.1"),
    ("category", "oncology", "Услуги онколога, ревматолога, гематолога", "P 12.8.1"),
    ("category", "holter_monitoring", "Суточное мониторирование ЭКГ и АД", "P 12.8.1"),
    ("category", "inpatient", "Услуги стационара", "P 12.8.1"),
    ("category", "traditional_medicine", "Традиционная и народная медицина", "P 12.8.1"),
    ("category", "adult_vaccination", "Вакцинация взрослых (кроме экстренной)", "P 12.8.1"),
    ("disease", "B18", "Хронический вирусный гепатит B, C", "P 12.8.2"),
    ("disease", "E10-E14", "Сахарный диабет и его осложнения", "P 12.8.2"),
    ("disease", "C00-D48", "Онкологические заболевания", "P 12.8.2"),
    ("disease", "A15-A19", "Туберкулёз", "P 12.8.2"),
    ("disease", "G40", "Эпилепсия", "P 12.8.2"),
    ("condition", "disability_group_1_2", "Инвалидность I или II группы по заключению МСЭК", "P 12.8.3"),
    ("condition", "hiv", "Заболевания, вызванные ВИЧ", "P 12.8.3"),
    ("condition", "tuberculosis", "Туберкулёз", "P 12.8.3"),
    ("condition", "mental_disorder", "Психические расстройства, алкоголизм, наркомания", "P 12.8.3"),
    ("condition", "malignant_neoplasm", "Злокачественные новообразования", "P 12.8.3"),
    ("condition", "severe_copd", "ХОБЛ, тяжёлое течение", "P 12.8.3"),
    ("dental", "dental_hygiene", "Снятие зубных отложений (кроме однократного)", "P 12.8.4"),
    ("dental", "dental_prosthetics", "Протезирование и подготовка к нему", "P 12.8.4"),
    ("dental", "dental_implants", "Имплантология", "P 12.8.4"),
)

DEMO_PROGRAM_INCLUDED: tuple[tuple[str, int | None, tuple[str, ...], int | None], ...] = (
    ("therapist_first", None, ("clinic",), None),
    ("therapist_repeat", None, ("clinic",), None),
    ("cardiologist_first", 2, ("clinic",), None),
    ("neurologist_first", 2, ("clinic",), None),
    ("ent_first", 2, ("clinic",), None),
    ("ecg", 2, ("clinic",), 1),
    ("ultrasound_abdomen", 1, ("clinic",), 6),
    ("blood_sample", 4, ("clinic", "home"), None),
    ("home_sample_collection", 2, ("home",), None),
    ("home_visit_planned", None, ("home",), None),
)


async def seed_program(session: AsyncSession, now: datetime) -> None:
    """The Moscow demo program (annual adult program, home care within MKAD) with P 12.8's exclusions."""
    from sqlalchemy import delete
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    from billing.program.models import Program, ProgramExclusion, ProgramService

    await session.execute(
        pg_insert(Program)
        .values(
            id=DEMO_PROGRAM_ID,
            organization_id=ORG_MOSCOW_ID,
            service_code=PROGRAM_CODE,
            name="Взрослая годовая (МКАД)",
            duration_months=12,
            urgent_home_care=False,
            referral_required=True,
            home_care_in_base_zone=True,
            documents=["medical_certificate"],
            active=True,
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    await session.execute(delete(ProgramService).where(ProgramService.program_id == DEMO_PROGRAM_ID))
    await session.execute(delete(ProgramExclusion).where(ProgramExclusion.program_id == DEMO_PROGRAM_ID))
    for code, times, terms, month in DEMO_PROGRAM_INCLUDED:
        session.add(
            ProgramService(
                id=demo_id("billing", "program_service", DEMO_PROGRAM_ID, code),
                program_id=DEMO_PROGRAM_ID,
                service_code=code,
                times=times,
                terms=list(terms),
                without_referral=code.startswith("therapist"),
                preventive_month=month,
            )
        )
    for kind, code, name, source in P_12_8_EXCLUSIONS:
        session.add(
            ProgramExclusion(
                id=demo_id("billing", "program_exclusion", DEMO_PROGRAM_ID, kind, code),
                program_id=DEMO_PROGRAM_ID,
                kind=kind,
                code=code,
                name=name,
                source=source,
            )
        )
    await session.flush()
