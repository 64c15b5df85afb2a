"""Billing's app under test: a migrated database of its own (clinic_testkit), a fixed business clock,
tokens signed with the run's development key. No NATS: events are fed to the processor directly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from clinic_common.clock import FixedClock
from clinic_common.demo import ORG_ALMATY_ID, ORG_MOSCOW_ID
from clinic_common.events.catalog import EventPayload, type_of
from clinic_common.events.envelope import EventEnvelope, new_event_id
from clinic_common.events.payloads.records import PatientRegistered
from clinic_common.events.payloads.scheduling import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentFulfilled,
    OrganizationUpserted,
    PolicyVersionData,
)

from billing.config import Settings
from billing.main import create_app

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # a Sunday; 14:00 in Almaty, 12:00 in Moscow

# The billing side of both presets (scheduling's Policy): O for Almaty, P for Moscow.
PRESETS: dict[UUID, dict[str, Any]] = {
    ORG_ALMATY_ID: {"payment_timing": "before_service", "extra_services_payment_minutes": 30},
    ORG_MOSCOW_ID: {
        "payment_timing": "after_act",
        "extra_services_payment_minutes": None,
    },
}

ORGANIZATIONS = {
    ORG_ALMATY_ID: ("Demo Almaty", "KZ", "KZT", "Asia/Almaty"),
    ORG_MOSCOW_ID: ("Demo Moscow", "RU", "RUB", "Europe/Moscow"),
}


class BillingHarness:
    def __init__(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clock: FixedClock,
        settings: Settings,
        token_factory: Any = None,
    ) -> None:
        self.token_factory = token_factory
        self.app = app
        self.client = client
        self.clock = clock
        self.settings = settings

    async def deliver(
        self, payload: EventPayload, *, subject: UUID, sequence: int = 1, org: UUID | None = None
    ) -> bool:
        """Hand one event to the service's processor, as its consumer would."""
        type_ = type_of(type(payload))
        envelope = EventEnvelope(
            id=new_event_id(),
            type=type_,
            source=type_.split(".")[1],
            subject=str(subject),
            time=self.clock.now(),
            orgid=org,
            sequence=sequence,
            data=payload.model_dump(mode="json"),
        )
        return bool(await self.app.state.event_processor.process(envelope))

    async def learn_organization(
        self,
        org_id: UUID,
        sequence: int = 1,
        policy: dict[str, Any] | None = None,
        versions: list[PolicyVersionData] | None = None,
    ) -> None:
        """Scheduling's `organization.upserted`: `policy` in force now, `versions` all published (ORG-3)."""
        name, country, currency, tz = ORGANIZATIONS[org_id]
        await self.deliver(
            OrganizationUpserted(
                id=org_id,
                name=name,
                country=country,
                currency=currency,
                time_zone=tz,
                branches=[],
                policy=policy if policy is not None else PRESETS[org_id],
                policy_versions=versions or [],
            ),
            subject=org_id,
            sequence=sequence,
        )

    async def seed(self) -> None:
        from billing.demo import seed

        async with self.app.state.db.sessionmaker() as session, session.begin():
            await seed(session, self.settings)

    async def learn_patient(
        self, org: UUID, patient_id: UUID | None = None, *, iin: str | None = None, sequence: int = 1
    ) -> UUID:
        patient_id = patient_id or uuid4()
        await self.deliver(
            PatientRegistered(
                patient_id=patient_id,
                organization_id=org,
                last_name="Иванова",
                first_name="Анна",
                birth_date=date(1985, 4, 12),
                phone="+7 701 555 00 11",
                address_text="Street 1",
                iin=iin,
            ),
            subject=patient_id,
            sequence=sequence,
        )
        return patient_id

    async def book(
        self,
        org: UUID,
        patient_id: UUID,
        service_code: str = "therapist_first",
        *,
        start: datetime | None = None,
        payer_kind: str = "patient",
        payer_ref: str | None = None,
        enrollment_id: UUID | None = None,
        referral_id: UUID | None = None,
    ) -> UUID:
        """Scheduling's `appointment.booked`, as the consumer hands it over; returns the appointment id."""
        appointment_id = uuid4()
        start = start or self.clock.now() + timedelta(days=1)
        await self.deliver(
            AppointmentBooked(
                appointment_id=appointment_id,
                organization_id=org,
                patient_id=patient_id,
                practitioner_id=uuid4(),
                branch_id=uuid4(),
                service_code=service_code,
                start=start,
                end=start + timedelta(minutes=30),
                channel="registry",
                payer_kind=payer_kind,
                payer_ref=payer_ref,
                enrollment_id=enrollment_id,
                referral_id=referral_id,
            ),
            subject=appointment_id,
        )
        return appointment_id

    async def fulfill(
        self,
        org: UUID,
        patient_id: UUID,
        appointment_id: UUID,
        service_code: str = "therapist_first",
        at: datetime | None = None,
    ) -> None:
        """Scheduling's `appointment.fulfilled` for a booked visit (BIL-6)."""
        done = at or self.clock.now() + timedelta(days=1)
        await self.deliver(
            AppointmentFulfilled(
                appointment_id=appointment_id,
                organization_id=org,
                patient_id=patient_id,
                practitioner_id=uuid4(),
                branch_id=uuid4(),
                service_code=service_code,
                start=done,
                end=done,
                fulfilled_at=done,
            ),
            subject=appointment_id,
            sequence=2,
        )

    async def cancel(
        self, org: UUID, patient_id: UUID, appointment_id: UUID, reason: str, refundable: bool
    ) -> None:
        """Scheduling's `appointment.cancelled` with its reason (BIL-9)."""
        start = self.clock.now() + timedelta(days=1)
        await self.deliver(
            AppointmentCancelled(
                appointment_id=appointment_id,
                organization_id=org,
                patient_id=patient_id,
                practitioner_id=uuid4(),
                branch_id=uuid4(),
                service_code="therapist_first",
                start=start,
                end=start,
                reason=reason,
                refundable=refundable,
            ),
            subject=appointment_id,
            sequence=2,
        )

    async def estimate_of(self, appointment_id: UUID) -> UUID:
        rows = await self.fetch("select id from invoices where appointment_id = :a", a=appointment_id)
        assert rows, "no estimate for the appointment"
        return UUID(str(rows[0].id))

    def token(self, role: str, org: UUID | None = ORG_ALMATY_ID, **claims: Any) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token_factory(role, org=str(org) if org else None, **claims)}"
        }

    async def pay(
        self,
        invoice_id: UUID,
        amount: str,
        currency: str = "KZT",
        *,
        method: str = "cash",
        key: str | None = None,
        org: UUID = ORG_ALMATY_ID,
        **extra: Any,
    ) -> httpx.Response:
        response: httpx.Response = await self.client.post(
            "/v1/payments",
            json={
                "invoice_id": str(invoice_id),
                "amount": {"amount": amount, "currency": currency},
                "method": method,
                **extra,
            },
            headers={**self.token("cashier", org), "Idempotency-Key": key or str(uuid4())},
        )
        return response

    async def fetch(self, sql: str, **params: Any) -> list[Any]:
        from sqlalchemy import text

        async with self.app.state.db.sessionmaker() as session:
            return list((await session.execute(text(sql), params)).all())


@pytest.fixture
async def billing(
    database_factory: Callable[[str], str], dev_keys: tuple[Path, Path], token_factory: Any
) -> AsyncIterator[BillingHarness]:
    settings = Settings(
        database_url=database_factory("billing"),
        nats_url="nats://127.0.0.1:1",  # never reached: workers are off
        run_workers=False,
        jwt_public_key_file=dev_keys[1],
        db_pool_size=10,  # concurrency tests run a dozen requests at once
    )
    clock = FixedClock(NOW)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
            yield BillingHarness(app, client, clock, settings, token_factory)
