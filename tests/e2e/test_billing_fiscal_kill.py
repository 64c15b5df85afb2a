"""A payment's fiscal receipt survives a SIGKILL of the billing process: exactly one document is
registered, once.

Billing runs as a real uvicorn process (clinic_testkit.processes) with the ATOL Online v5 adapter
pointed at a local stub of the register (services/billing/tests/atol_stub.py, which counts every
request and every registered document). The stub takes the sell request and holds its answer;
the process is SIGKILLed before the register answered; after the restart the delivery's lease
expires and the same document goes again with the same `external_id`, which the register answers
with the first document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text

from clinic_common.clock import clock_from_settings
from clinic_common.demo import ORG_MOSCOW_ID
from clinic_common.events.catalog import EventPayload, type_of
from clinic_common.events.envelope import EventEnvelope, new_event_id
from clinic_common.events.payloads.records import PatientRegistered
from clinic_common.events.payloads.scheduling import AppointmentBooked, OrganizationUpserted
from clinic_testkit.stack import eventually
from services.billing.tests.atol_stub import GROUP, running

pytestmark = pytest.mark.e2e


async def feed(app: Any, payload: EventPayload, subject: UUID) -> None:
    type_ = type_of(type(payload))
    await app.state.event_processor.process(
        EventEnvelope(
            id=new_event_id(),
            type=type_,
            source=type_.split(".")[1],
            subject=str(subject),
            time=app.state.clock.now(),
            sequence=1,
            data=payload.model_dump(mode="json"),
        )
    )


@pytest.fixture
async def paid(
    database_factory: Any, nats_server: Any, dev_keys: tuple[Path, Path], clock_file: Path, token_factory: Any
) -> AsyncIterator[tuple[str, UUID]]:
    """A Moscow patient's visit paid by card in an in-process billing without workers: the fiscal
    document and its delivery row are committed, nothing has been sent."""
    from billing.config import Settings
    from billing.demo import seed
    from billing.main import create_app

    db = database_factory("billing")
    settings = Settings(
        database_url=db,
        nats_url=nats_server.url,
        run_workers=False,
        jwt_public_key_file=dev_keys[1],
        clock_file=clock_file,
        db_pool_size=2,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.db.sessionmaker() as session, session.begin():
            await seed(session, settings)
        await feed(
            app,
            OrganizationUpserted(
                id=ORG_MOSCOW_ID,
                name="Moscow",
                country="RU",
                currency="RUB",
                time_zone="Europe/Moscow",
                branches=[],
            ),
            ORG_MOSCOW_ID,
        )
        patient, appointment = uuid4(), uuid4()
        await feed(
            app,
            PatientRegistered(
                patient_id=patient,
                organization_id=ORG_MOSCOW_ID,
                last_name="Петров",
                first_name="Иван",
                birth_date="1980-02-03",
                phone="+79160000000",
                address_text="Москва",
            ),
            patient,
        )
        start = clock_from_settings(clock_file, None).now() + timedelta(days=1)
        await feed(
            app,
            AppointmentBooked(
                appointment_id=appointment,
                organization_id=ORG_MOSCOW_ID,
                patient_id=patient,
                practitioner_id=uuid4(),
                branch_id=uuid4(),
                service_code="therapist_first",
                start=start,
                end=start + timedelta(minutes=30),
                channel="registry",
            ),
            appointment,
        )
        async with app.state.db.engine.connect() as conn:
            invoice = (await conn.execute(text("select id from invoices"))).scalar_one()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://billing"
        ) as client:
            r = await client.post(
                "/v1/payments",
                json={
                    "invoice_id": str(invoice),
                    "amount": {"amount": "2500.00", "currency": "RUB"},
                    "method": "card",
                },
                headers={
                    "Authorization": f"Bearer {token_factory('cashier', org=str(ORG_MOSCOW_ID))}",
                    "Idempotency-Key": "kill-1",
                },
            )
        assert r.status_code == 201, r.text
        yield db, UUID(r.json()["receipt"]["fiscal_document_id"])


async def document(db_url: str, doc_id: UUID) -> dict[str, Any]:
    from clinic_common.db import Database

    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        text(
                            "select status, fiscal_number, fiscal_sign, register"
                            " from fiscal_documents where id = :id"
                        ),
                        {"id": doc_id},
                    )
                )
                .mappings()
                .one()
            )
            count = (await conn.execute(text("select count(*) from fiscal_documents"))).scalar_one()
        return {**dict(row), "documents": count}
    finally:
        await db.dispose()


async def test_BIL_7_payment_then_sigkill_before_the_register_answered_registers_one_document_once(
    paid: tuple[str, UUID], nats_server: Any, service_processes: Any
) -> None:
    db, doc_id = paid
    with running() as (atol, url):
        atol.hold = True  # the register takes the receipt and does not answer yet
        proc = service_processes.service(
            "billing",
            database_url=db,
            nats_url=nats_server.url,
            fiscal_register_ru="atol",
            atol_url=url,
            atol_login="clinic",
            atol_password="secret",
            atol_group_code=GROUP,
            atol_report_interval_seconds=0.05,
            delivery_poll_seconds=0.1,
            delivery_lease_seconds=6,
            delivery_provider_timeout_seconds=5,
            delivery_backoff_seconds=[0.2],
        )
        await service_processes.start(proc)

        async def taken() -> bool:
            return len(atol.sells) >= 1

        await eventually(taken, timeout=60)
        proc.kill()  # SIGKILL, after the register took the receipt, before it answered
        assert not proc.is_alive()
        before = await document(db, doc_id)
        assert (before["status"], before["fiscal_number"]) == ("pending", None)
        atol.hold = False
        atol.release.set()

        await service_processes.restart(proc)

        async def registered() -> dict[str, Any] | None:
            d = await document(db, doc_id)
            return d if d["status"] == "registered" else None

        final = await eventually(registered, timeout=60)
        print(
            f"fiscal kill test: {len(atol.sells)} sell requests, {atol.registered()} document(s) registered"
        )
        assert atol.registered() == 1  # registered once
        assert len(atol.sells) >= 2 and set(atol.sells) == {f"fiscal:{doc_id}"}  # resent with the same key
        (only,) = atol.documents.values()
        assert final["fiscal_number"] == str(only["payload"]["fiscal_document_number"])
        assert final["fiscal_sign"] == str(only["payload"]["fiscal_document_attribute"])
        assert (final["register"], final["documents"]) == ("atol-online-v5", 1)  # exactly one document
        proc.stop()
