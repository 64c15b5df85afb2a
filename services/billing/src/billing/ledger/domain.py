"""The double-entry ledger as plain Python (BIL-7): accounts, postings, balanced transactions.

Every movement of money is one transaction whose postings sum to zero per currency (debits are
positive, credits negative). The database refuses an unbalanced one too (a deferred constraint
trigger), so these checks are the first line, not the only one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from clinic_common.errors import AppError
from clinic_common.money import Currency, Money


class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    REVENUE = "revenue"
    CONTRA_REVENUE = "contra_revenue"


class Account(StrEnum):
    """The chart of accounts of every organization (one account per code and currency)."""

    PATIENT_RECEIVABLES = "patient_receivables"
    INSURER_RECEIVABLES = "insurer_receivables"
    LEGAL_ENTITY_RECEIVABLES = "legal_entity_receivables"
    STATE_RECEIVABLES = "state_receivables"
    THIRD_PARTY_RECEIVABLES = "third_party_receivables"
    CASH_DESK = "cash_desk"
    CARD_CLEARING = "card_clearing"
    BANK = "bank"
    REVENUE = "revenue"
    PENALTY_REVENUE = "penalty_revenue"
    REFUNDS = "refunds"
    REFUNDS_PAYABLE = "refunds_payable"
    PATIENT_ADVANCES = "patient_advances"
    PROGRAM_DEFERRED_REVENUE = "program_deferred_revenue"

    @property
    def kind(self) -> AccountKind:
        return ACCOUNT_KINDS[self]


ACCOUNT_KINDS: Mapping[Account, AccountKind] = {
    Account.PATIENT_RECEIVABLES: AccountKind.ASSET,
    Account.INSURER_RECEIVABLES: AccountKind.ASSET,
    Account.LEGAL_ENTITY_RECEIVABLES: AccountKind.ASSET,
    Account.STATE_RECEIVABLES: AccountKind.ASSET,
    Account.THIRD_PARTY_RECEIVABLES: AccountKind.ASSET,
    Account.CASH_DESK: AccountKind.ASSET,
    Account.CARD_CLEARING: AccountKind.ASSET,
    Account.BANK: AccountKind.ASSET,
    Account.REVENUE: AccountKind.REVENUE,
    Account.PENALTY_REVENUE: AccountKind.REVENUE,
    Account.REFUNDS: AccountKind.CONTRA_REVENUE,
    Account.REFUNDS_PAYABLE: AccountKind.LIABILITY,
    Account.PATIENT_ADVANCES: AccountKind.LIABILITY,
    Account.PROGRAM_DEFERRED_REVENUE: AccountKind.LIABILITY,
}

RECEIVABLES_OF_PAYER: Mapping[str, Account] = {
    "patient": Account.PATIENT_RECEIVABLES,
    "insurer": Account.INSURER_RECEIVABLES,
    "legal_entity": Account.LEGAL_ENTITY_RECEIVABLES,
    "state": Account.STATE_RECEIVABLES,
    "program": Account.PATIENT_RECEIVABLES,
    "third_party": Account.THIRD_PARTY_RECEIVABLES,
}
"""BIL-8: whose receivable a charge is. A program's price is the customer's (the patient's) debt."""

MONEY_ACCOUNTS: Mapping[str, Account] = {
    "cash": Account.CASH_DESK,
    "card": Account.CARD_CLEARING,
    "bank_transfer": Account.BANK,
}
"""BIL-4, BIL-5: where money taken by each method lands."""


class UnbalancedTransaction(AppError):
    """A bug, not a client error: the books never take it (BIL-7)."""

    status = 500
    code = "ledger_unbalanced"
    title = "A ledger transaction must balance"
    rule = "BIL-7"


@dataclass(frozen=True, slots=True)
class Posting:
    """One side of a movement: debit when positive, credit when negative; `party` is the patient,
    insurer or other payer whose sub-ledger it belongs to."""

    account: Account
    amount: Money
    party: UUID | None = None


@dataclass(frozen=True, slots=True)
class Movement:
    """One balanced ledger transaction, before it is written."""

    kind: str
    postings: tuple[Posting, ...]
    memo: str = ""

    def __post_init__(self) -> None:
        check_balanced(self.postings)


def check_balanced(postings: Sequence[Posting]) -> None:
    """BIL-7: at least two non-zero postings, summing to zero in each currency."""
    if len(postings) < 2 or any(p.amount.is_zero() for p in postings):
        raise UnbalancedTransaction("a transaction has at least two non-zero postings")
    sums: dict[Currency, int] = defaultdict(int)
    for p in postings:
        sums[p.amount.currency] += p.amount.amount_minor
    if any(sums.values()):
        raise UnbalancedTransaction(f"postings do not sum to zero: {dict(sums)}")


def movement(
    kind: str, *pairs: tuple[Account, Account, Money, UUID | None], memo: str = ""
) -> Movement | None:
    """A transaction from (debit account, credit account, amount, party) pairs; zero pairs are
    dropped, and nothing at all to move gives None."""
    postings: list[Posting] = []
    for debit, credit, amount, party in pairs:
        if amount.is_negative():
            debit, credit, amount = credit, debit, -amount
        if amount.is_zero():
            continue
        postings.append(Posting(debit, amount, party))
        postings.append(Posting(credit, -amount, party))
    return Movement(kind, tuple(postings), memo) if postings else None


@dataclass
class Books:
    """An in-memory ledger with running balances: what the database keeps, used by property
    tests and by the reconciliation report's arithmetic."""

    transactions: list[Movement] = field(default_factory=list)
    balances: dict[tuple[Account, Currency], int] = field(default_factory=lambda: defaultdict(int))

    def post(self, m: Movement | None) -> None:
        if m is None:
            return
        check_balanced(m.postings)
        self.transactions.append(m)
        for p in m.postings:
            self.balances[(p.account, p.amount.currency)] += p.amount.amount_minor

    def balance(self, account: Account, currency: Currency, party: UUID | None = None) -> int:
        if party is None:
            return self.balances[(account, currency)]
        return sum(
            p.amount.amount_minor
            for m in self.transactions
            for p in m.postings
            if p.account is account and p.amount.currency is currency and p.party == party
        )


def sum_entries(entries: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """Balances as the sum of (account, currency, amount) entries."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for account, currency, amount in entries:
        out[(account, currency)] += amount
    return dict(out)


def natural_balance(account: Account, debit_minus_credit: int) -> int:
    """The balance as the account's kind reads it: assets and contra-revenue debit-normal,
    liabilities and revenue credit-normal."""
    if account.kind in (AccountKind.ASSET, AccountKind.CONTRA_REVENUE):
        return debit_minus_credit
    return -debit_minus_credit
