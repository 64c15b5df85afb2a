"""Demo data owned by billing (loaded again safely): the service catalogue and price lists of both
demo organizations. Written directly, since the seed runs before scheduling's organizations arrive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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
    return [s for s in DEMO_SERVICES if almaty or not s.almaty_only]


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
                )
                for s in services
            ],
            now,
            new_id=partial(demo_id, "billing", "service", org),
        )
