"""Balances and the reconciliation report (BIL-7): the books against themselves and against the
operational records they summarize."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.invoice.models import Invoice
from billing.ledger.domain import Account, natural_balance
from billing.ledger.repository import LedgerRepository
from billing.payment.models import Payment
from billing.refund.models import Refund


@dataclass(frozen=True)
class Row:
    account: str
    kind: str
    currency: str
    debit_minus_credit: int
    natural: int


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    transactions: int
    checks: list[CheckResult] = field(default_factory=list)


async def balances(session: AsyncSession, organization_id: UUID) -> list[Row]:
    return [
        Row(a.code, a.kind, a.currency, a.balance_minor, natural_balance(Account(a.code), a.balance_minor))
        for a in await LedgerRepository(session).accounts(organization_id)
    ]


def _check(name: str, expected: int, actual: int, what: str) -> CheckResult:
    return CheckResult(name, expected == actual, f"{what}: ledger {actual}, records {expected} (minor units)")


async def reconcile(session: AsyncSession, organization_id: UUID) -> Report:
    repo = LedgerRepository(session)
    report = Report(transactions=await repo.transaction_count(organization_id))
    unbalanced = await repo.unbalanced_transactions(organization_id)
    report.checks.append(
        CheckResult("transactions_balance", not unbalanced, f"{len(unbalanced)} unbalanced transaction(s)")
    )
    sums = await repo.entry_sums(organization_id)
    accounts = await repo.accounts(organization_id)
    drift = [a.code + "/" + a.currency for a in accounts if sums.get(a.id, 0) != a.balance_minor]
    report.checks.append(
        CheckResult(
            "balances_equal_entries",
            not drift,
            "accounts whose balance is not the sum of entries: " + (", ".join(drift) or "none"),
        )
    )
    by = {(a.code, a.currency): a.balance_minor for a in accounts}
    currencies = sorted({a.currency for a in accounts})
    for cur in currencies:
        due = await session.scalar(
            select(
                func.coalesce(func.sum(Invoice.total_minor - Invoice.adjusted_minor - Invoice.paid_minor), 0)
            ).where(
                Invoice.organization_id == organization_id,
                Invoice.currency == cur,
                Invoice.payer_kind.in_(("patient", "program")),
            )
        )
        report.checks.append(
            _check(
                f"patient_receivables_{cur}",
                int(due or 0),
                by.get((Account.PATIENT_RECEIVABLES.value, cur), 0),
                "patient receivables vs invoices' balance due",
            )
        )
        pending = await session.scalar(
            select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
                Refund.organization_id == organization_id, Refund.currency == cur, Refund.status == "pending"
            )
        )
        report.checks.append(
            _check(
                f"refunds_payable_{cur}",
                int(pending or 0),
                -by.get((Account.REFUNDS_PAYABLE.value, cur), 0),
                "refunds payable vs refunds ordered, not yet paid",
            )
        )
        for method, account in (
            ("cash", Account.CASH_DESK),
            ("card", Account.CARD_CLEARING),
            ("bank_transfer", Account.BANK),
        ):
            taken = await session.scalar(
                select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
                    Payment.organization_id == organization_id,
                    Payment.currency == cur,
                    Payment.method == method,
                )
            )
            returned = await session.scalar(
                select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
                    Refund.organization_id == organization_id,
                    Refund.currency == cur,
                    Refund.method == method,
                    Refund.status == "paid",
                )
            )
            report.checks.append(
                _check(
                    f"{account.value}_{cur}",
                    int(taken or 0) - int(returned or 0),
                    by.get((account.value, cur), 0),
                    f"{method} taken less refunded",
                )
            )
    return report
