"""The patient's money at a glance: debt and credit (BIL-4, BIL-10)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from clinic_common.auth import Principal
from clinic_common.db import SessionDep
from clinic_common.errors import NotFound
from clinic_common.money import Currency, Money, MoneyModel
from clinic_common.openapi import problems

from billing import access
from billing.debt import service as debts
from billing.ledger.domain import Account
from billing.ledger.repository import LedgerRepository
from billing.patient.models import PatientProjection

router = APIRouter(tags=["balance"])

BalanceDep = Annotated[Principal, access.READ_BALANCE.dependency()]


class PatientNotFound(NotFound):
    code = "patient_not_found"
    title = "No such patient"


class OpenDebt(BaseModel):
    debt_id: UUID
    invoice_id: UUID
    amount: MoneyModel
    penalty: MoneyModel
    reason: str


class BalanceRead(BaseModel):
    patient_id: UUID
    debt: MoneyModel
    credit: MoneyModel
    open_debts: list[OpenDebt]


@router.get(
    "/v1/patients/{patient_id}/balance", response_model=BalanceRead, responses=problems(PatientNotFound)
)
async def balance(patient_id: UUID, session: SessionDep, principal: BalanceDep) -> BalanceRead:
    """What the patient owes for rendered and invoiced services, and their credit (advance), from
    the ledger's sub-accounts (BIL-7)."""
    patient = await session.get(PatientProjection, patient_id)
    if patient is None or not access.can(access.READ_BALANCE, principal, patient.organization_id, patient.id):
        raise PatientNotFound()
    from billing.organization.models import OrganizationProjection

    org = await session.get(OrganizationProjection, patient.organization_id)
    currency = Currency(org.currency) if org else Currency.KZT
    ledger = LedgerRepository(session)
    owed = (await ledger.party_balance(patient.organization_id, Account.PATIENT_RECEIVABLES, patient.id)).get(
        currency.value, 0
    )
    advances = (
        await ledger.party_balance(patient.organization_id, Account.PATIENT_ADVANCES, patient.id)
    ).get(currency.value, 0)
    return BalanceRead(
        patient_id=patient.id,
        debt=MoneyModel.of(Money(max(owed, 0), currency)),
        credit=MoneyModel.of(Money(max(-advances, 0), currency)),
        open_debts=[
            OpenDebt(
                debt_id=d.id,
                invoice_id=d.invoice_id,
                amount=MoneyModel.of(Money(d.amount_minor, Currency(d.currency))),
                penalty=MoneyModel.of(Money(d.penalty_minor, Currency(d.currency))),
                reason=d.reason,
            )
            for d in await debts.open_debts(session, patient.id)
        ],
    )
