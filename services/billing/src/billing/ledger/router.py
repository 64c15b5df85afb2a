"""The books: balances and the reconciliation report (BIL-7)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.money import Currency, Money, SignedMoneyModel
from clinic_common.openapi import problems

from billing import access
from billing.ledger import reconciliation

router = APIRouter(tags=["ledger"])

LedgerDep = Annotated[Principal, access.READ_LEDGER.dependency()]


class AccountBalance(BaseModel):
    account: str
    kind: str
    balance: SignedMoneyModel  # in the account's natural sign (assets debit, liabilities credit)


class BalancesRead(BaseModel):
    organization_id: UUID
    accounts: list[AccountBalance]


class Check(BaseModel):
    name: str
    ok: bool
    detail: str


class ReconciliationRead(BaseModel):
    organization_id: UUID
    ok: bool
    transactions: int
    checks: list[Check]


@router.get("/v1/ledger/balances", response_model=BalancesRead, responses=problems(OrganizationForbidden))
async def balances(
    session: SessionDep, principal: LedgerDep, organization_id: Annotated[UUID, Query()]
) -> BalancesRead:
    access.check_org(access.READ_LEDGER, principal, organization_id)
    rows = await reconciliation.balances(session, organization_id)
    return BalancesRead(
        organization_id=organization_id,
        accounts=[
            AccountBalance(
                account=r.account,
                kind=r.kind,
                balance=SignedMoneyModel.of(Money(r.natural, Currency(r.currency))),
            )
            for r in rows
        ],
    )


@router.get(
    "/v1/ledger/reconciliation", response_model=ReconciliationRead, responses=problems(OrganizationForbidden)
)
async def reconcile(
    session: SessionDep, principal: LedgerDep, organization_id: Annotated[UUID, Query()]
) -> ReconciliationRead:
    """BIL-7: every transaction balances; each account's balance is the sum of its entries; the
    receivables, credit, refunds payable and money accounts agree with invoices, payments and refunds."""
    access.check_org(access.READ_LEDGER, principal, organization_id)
    report = await reconciliation.reconcile(session, organization_id)
    return ReconciliationRead(
        organization_id=organization_id,
        ok=all(c.ok for c in report.checks),
        transactions=report.transactions,
        checks=[Check(name=c.name, ok=c.ok, detail=c.detail) for c in report.checks],
    )
