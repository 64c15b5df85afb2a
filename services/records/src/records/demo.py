"""Demo data owned by records (loaded again safely: fixed ids, rows only added when missing, events
only for what was added). Organizations arrive from scheduling.

What a person can try after `make run` (ids are `records.demo.DEMO`):
- Almaty (O preset): Aigerim, an adult with an open cabinet, a contract, a diagnosis in her card by
  the Dostyk therapist (practitioner 1/1) and an SMS + WhatsApp channel; her son Alikhan (10), whose
  mother is his legal representative; Dana (16), whose father holds a link but no disclosure
  consent (REC-7: his reads are refused until she consents); the offer in force since 2020; the
  organization's list of interventions that need consent.
- Moscow (P preset): Ivan, an adult with an open cabinet.

The data is valid whatever day the stack lives on: the birth dates are fixed (the children grow
up, which the age rules then show), the offer took effect in 2020 and is valid for five years from
its last version (re-published in 2025 to 2030).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.demo import ALMATY_BRANCH_DOSTYK_ID, ORG_ALMATY_ID, ORG_MOSCOW_ID, demo_id, practitioner_id
from clinic_common.events.catalog import type_of
from clinic_common.events.payloads.records import CabinetAccessGranted, PatientRegistered
from clinic_common.settings import ServiceSettings

from records.cabinet.models import Cabinet
from records.card.models import CardEntry
from records.care.models import CareRelation
from records.consent.models import ConsentRequiredIntervention
from records.db import outbox, platform
from records.link.models import PersonLink
from records.offer.models import Contract, OfferAcceptance, OfferVersion
from records.patient.iin import iin_check_digit
from records.patient.models import Consent, Patient

SEEDED_AT = datetime(2025, 1, 10, 5, 0, tzinfo=UTC)
THERAPIST = practitioner_id(ORG_ALMATY_ID, 1, 1)


@dataclass(frozen=True)
class DemoPerson:
    key: str
    org: UUID
    last_name: str
    first_name: str
    birth_date: date
    sex: str
    phone: str
    document: tuple[str, str]
    address: str
    channels: tuple[str, ...] = ("cabinet", "sms")
    cabinet: bool = True

    @property
    def id(self) -> UUID:
        return demo_id("records", "person", self.key)

    def iin(self) -> str | None:
        if self.org != ORG_ALMATY_ID:
            return None
        century = {19: 3, 20: 5}[self.birth_date.year // 100] + (self.sex == "female")
        for serial in range(1, 100):
            first = f"{self.birth_date:%y%m%d}{century}{serial:04d}"
            digit = iin_check_digit(first)
            if digit is not None:
                return first + str(digit)
        raise AssertionError("no IIN")


PEOPLE = (
    DemoPerson(
        "aigerim",
        ORG_ALMATY_ID,
        "Сапарова",
        "Айгерим",
        date(1988, 4, 12),
        "female",
        "+77011112233",
        ("id_card", "045118822"),
        "Алматы, пр. Достык 38",
        ("cabinet", "sms", "whatsapp"),
    ),
    DemoPerson(
        "alikhan",
        ORG_ALMATY_ID,
        "Сапаров",
        "Алихан",
        date(2016, 2, 3),
        "male",
        "+77011112233",
        ("birth_certificate", "I-АЛ 774411"),
        "Алматы, пр. Достык 38",
        cabinet=False,
    ),
    DemoPerson(
        "dana",
        ORG_ALMATY_ID,
        "Нурланова",
        "Дана",
        date(2010, 1, 20),
        "female",
        "+77015556677",
        ("id_card", "051220011"),
        "Алматы, ул. Абая 15",
    ),
    DemoPerson(
        "nurlan",
        ORG_ALMATY_ID,
        "Нурланов",
        "Нурлан",
        date(1979, 9, 1),
        "male",
        "+77019998877",
        ("id_card", "039911223"),
        "Алматы, ул. Абая 15",
    ),
    DemoPerson(
        "ivan",
        ORG_MOSCOW_ID,
        "Петров",
        "Иван",
        date(1975, 6, 30),
        "male",
        "+79161234567",
        ("passport", "4510 123456"),
        "Москва, ул. Арбат 10",
    ),
)

DEMO: dict[str, UUID] = {p.key: p.id for p in PEOPLE}

LINKS = (
    # (patient, person, kind, relation, document, health, documents, sign)
    (
        "alikhan",
        "aigerim",
        "legal_representative",
        "parent",
        ("birth_certificate", "I-АЛ 774411"),
        True,
        True,
        True,
    ),
    (
        "dana",
        "nurlan",
        "legal_representative",
        "parent",
        ("birth_certificate", "I-АЛ 100200"),
        True,
        True,
        True,
    ),
)

INTERVENTIONS = (  # REC-9, P 4.5: the organization's list (demo extract of Order 390н)
    ("endoscopy", "Эндоскопические исследования", "Order 390н"),
    ("local_anaesthesia", "Местная анестезия", "Order 390н"),
    ("vaccination", "Вакцинация", "Order 390н"),
)


async def _insert(session: AsyncSession, model: Any, **values: Any) -> bool:
    """Add the row unless it exists; True when it was added."""
    key = next(iter(model.__table__.primary_key.columns))
    result = await session.execute(pg_insert(model).values(**values).on_conflict_do_nothing().returning(key))
    return result.first() is not None


async def seed(session: AsyncSession, settings: ServiceSettings) -> None:
    for demo_person in PEOPLE:
        await _seed_person(session, demo_person)
    for patient, person, kind, relation, document, health, documents, sign in LINKS:
        await _insert(
            session,
            PersonLink,
            id=demo_id("records", "link", patient, person),
            organization_id=ORG_ALMATY_ID,
            patient_id=DEMO[patient],
            person_id=DEMO[person],
            kind=kind,
            relation=relation,
            document_kind=document[0],
            document_number=document[1],
            allows_health_information=health,
            allows_documents=documents,
            allows_sign_consent=sign,
            created_at=SEEDED_AT,
            created_by="demo",
        )
    for org in (ORG_ALMATY_ID, ORG_MOSCOW_ID):
        await _insert(
            session,
            OfferVersion,
            id=demo_id("records", "offer", org),
            organization_id=org,
            title="Публичный договор на оказание платных медицинских услуг",
            text="Demo text of the public offer.",
            published_on=date(2024, 12, 2),
            effective_from=date(2025, 1, 1),
            valid_to=date(2030, 1, 1),
            notice_recorded_at=datetime(2024, 12, 2, 5, 0, tzinfo=UTC),
            notice_working_days=5,
            published_by="demo",
        )
    for code, name, source in INTERVENTIONS:
        await _insert(
            session,
            ConsentRequiredIntervention,
            organization_id=ORG_ALMATY_ID,
            code=code,
            name=name,
            source=source,
        )
    aigerim = DEMO["aigerim"]
    await _insert(
        session,
        Contract,
        id=demo_id("records", "contract", "aigerim"),
        organization_id=ORG_ALMATY_ID,
        patient_id=aigerim,
        customer_id=aigerim,
        number="DEMO-0001",
        concluded_on=SEEDED_AT.date(),
        copies=2,
        signed_at=SEEDED_AT,
        recorded_by="demo",
    )
    await _insert(
        session,
        OfferAcceptance,
        id=demo_id("records", "acceptance", "aigerim"),
        patient_id=aigerim,
        offer_version_id=demo_id("records", "offer", ORG_ALMATY_ID),
        act="signature",
        act_ref="contract:DEMO-0001",
        accepted_at=SEEDED_AT,
    )
    await _insert(
        session,
        CareRelation,
        id=demo_id("records", "care", "aigerim"),
        organization_id=ORG_ALMATY_ID,
        patient_id=aigerim,
        practitioner_id=THERAPIST,
        branch_id=ALMATY_BRANCH_DOSTYK_ID,
        source="appointment",
        source_id=demo_id("records", "visit", "aigerim"),
        since=SEEDED_AT,
    )
    await _insert(
        session,
        CardEntry,
        id=demo_id("records", "entry", "aigerim", 1),
        organization_id=ORG_ALMATY_ID,
        patient_id=aigerim,
        kind="diagnosis",
        amends_id=None,
        icd10="J06.9",
        text="ОРВИ, лёгкое течение",
        data={},
        author_subject="demo",
        author_role="doctor",
        author_staff_id=THERAPIST,
        recorded_at=SEEDED_AT,
    )


async def _seed_person(session: AsyncSession, p: DemoPerson) -> None:
    added = await _insert(
        session,
        Patient,
        id=p.id,
        organization_id=p.org,
        last_name=p.last_name,
        first_name=p.first_name,
        middle_name=None,
        birth_date=p.birth_date,
        sex=p.sex,
        iin=p.iin(),
        identity_document_kind=p.document[0],
        identity_document_number=p.document[1],
        address_text=p.address,
        lat=None,
        lon=None,
        phone=p.phone,
        registration_phone=p.phone,
        email=None,
        registered_at=SEEDED_AT,
        version=1,
        drug_addiction_treatment=False,
        notification_channels=list(p.channels),
        health_group=None,
        service_refused_from=None,
    )
    if added:
        session.add(
            Consent(
                id=demo_id("records", "consent", p.key),
                patient_id=p.id,
                kind="personal_data",
                channel="registry",
                given_at=SEEDED_AT,
                recorded_by="demo",
                given=True,
                signed_by=p.id,
                signer_role="patient",
            )
        )
        await outbox.add(
            session,
            type=type_of(PatientRegistered),
            aggregate_id=p.id,
            org_id=p.org,
            now=SEEDED_AT,
            data=PatientRegistered(
                patient_id=p.id,
                organization_id=p.org,
                last_name=p.last_name,
                first_name=p.first_name,
                birth_date=p.birth_date,
                sex=p.sex,
                iin=p.iin(),
                phone=p.phone,
                address_text=p.address,
            ),
        )
    if p.cabinet and await session.get(Cabinet, p.id) is None:
        session.add(
            Cabinet(
                patient_id=p.id,
                organization_id=p.org,
                granted_at=SEEDED_AT,
                granted_by="demo",
                identity_document=f"{p.document[0]} {p.document[1]}",
                restricted=False,
                changed_at=SEEDED_AT,
            )
        )
        await session.flush()
        values = {
            "patient_id": p.id,
            "organization_id": p.org,
            "granted": True,
            "restricted": False,
            "changed_at": SEEDED_AT,
        }
        envelope = await outbox.add(
            session,
            type=type_of(CabinetAccessGranted),
            aggregate_id=p.id,
            org_id=p.org,
            now=SEEDED_AT,
            data=CabinetAccessGranted(**values),
        )
        t = platform.cabinet_access
        await session.execute(
            pg_insert(t).values(**values, source_sequence=envelope.sequence).on_conflict_do_nothing()
        )
