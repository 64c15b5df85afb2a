"""Damage claims (BIL-10): damage to property is claimed from whoever caused it, the patient or a
companion, payable within 7 working days of the claim; past that, a debt (the sweep)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import Field

from clinic_common.auth import Principal
from clinic_common.calendar import Country, add_working_days, local_date, local_to_utc
from clinic_common.db import SessionDep
from clinic_common.money import MoneyModel
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import RequestModel

from billing import access
from billing.ids import new_id
from billing.invoice.domain import Payer, PayerKind
from billing.invoice.models import InvoiceItem
from billing.invoice.schemas import InvoiceRead
from billing.invoice.service import announce, charge, new_invoice
from billing.invoice.views import read_one
from billing.organization.repository import OrganizationRepository
from billing.patient.repository import PatientRepository
from billing.payment.domain import AmountNotPositive, CurrencyMismatch

router = APIRouter(tags=["debts"])

ClaimDep = Annotated[Principal, access.CLAIM_DAMAGE.dependency()]
DAMAGE_PAYMENT_WORKING_DAYS = 7  # O 8.14


class DamageClaimCreate(RequestModel):
    patient_id: UUID
    caused_by: Literal["patient", "companion"]
    companion_name: str | None = Field(default=None, min_length=1, max_length=200)
    amount: MoneyModel
    description: str = Field(min_length=1, max_length=1000, pattern=r"\S")


@router.post(
    "/v1/damage-claims",
    status_code=201,
    response_model=InvoiceRead,
    responses=problems(
        unknown_entity("patient"), unknown_entity("organization"), AmountNotPositive, CurrencyMismatch
    ),
)
async def claim_damage(
    request: Request, body: DamageClaimCreate, session: SessionDep, principal: ClaimDep
) -> InvoiceRead:
    """BIL-10: a damage claim against the patient or their companion, due within 7 working days."""
    now = request.app.state.clock.now()
    patient = await PatientRepository(session).known(body.patient_id)
    access.check_patient(access.CLAIM_DAMAGE, principal, patient.organization_id, patient.id)
    org = await OrganizationRepository(session).known(patient.organization_id)
    amount = body.amount.to_money()
    if not amount.is_positive():
        raise AmountNotPositive()
    if amount.currency.value != org.currency:
        raise CurrencyMismatch(f"claims are in {org.currency}", currency=org.currency)
    today = local_date(now, org.time_zone)
    due_day = add_working_days(Country(org.country), today, DAMAGE_PAYMENT_WORKING_DAYS)
    from datetime import time

    payer = (
        Payer(PayerKind.PATIENT)
        if body.caused_by == "patient"
        else Payer(PayerKind.THIRD_PARTY, body.companion_name)
    )
    invoice = new_invoice(
        org,
        patient.id,
        kind="damage",
        source=f"damage:{new_id()}",
        payer=payer,
        service_date=today,
        now=now,
        due_at=local_to_utc(due_day, time(23, 59, 59), org.time_zone),
    )
    session.add(invoice)
    await session.flush()
    item = InvoiceItem(
        id=new_id(),
        invoice_id=invoice.id,
        service_code="damage_claim",
        name=f"Возмещение ущерба: {body.description}"[:300],
        category="damage",
        quantity=1,
        unit_price_minor=amount.amount_minor,
        list_price_minor=amount.amount_minor,
        amount_minor=amount.amount_minor,
        coverage=None,
        coverage_rule="BIL-10",
        status="rendered",
        added_during_visit=False,
        received_at=now,
        rendered_at=now,
        paid_price_locked=False,
    )
    await charge(session, invoice, [item], now)
    await announce(invoice, session, "damage", now)
    return await read_one(session, invoice)
