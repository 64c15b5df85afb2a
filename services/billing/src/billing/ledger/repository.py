"""Queries of the ledger: accounts, postings, balances."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinic_common.db import RepositoryBase

from billing.ledger.domain import Account, Movement
from billing.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction


class LedgerRepository(RepositoryBase[LedgerAccount]):
    model = LedgerAccount

    async def account_id(self, organization_id: UUID, account: Account, currency: str) -> UUID:
        stmt = (
            pg_insert(LedgerAccount)
            .values(
                id=uuid.uuid4(),
                organization_id=organization_id,
                code=account.value,
                kind=account.kind.value,
                currency=currency,
                balance_minor=0,
            )
            .on_conflict_do_nothing(index_elements=["organization_id", "code", "currency"])
        )
        await self.session.execute(stmt)
        found = await self.session.scalar(
            select(LedgerAccount.id).where(
                LedgerAccount.organization_id == organization_id,
                LedgerAccount.code == account.value,
                LedgerAccount.currency == currency,
            )
        )
        assert found is not None
        return found

    async def write(
        self,
        organization_id: UUID,
        m: Movement,
        *,
        ref_type: str,
        ref_id: UUID,
        at: datetime,
    ) -> UUID:
        """One transaction with its entries; each account's running balance moves with it."""
        tx_id = uuid.uuid4()
        self.session.add(
            LedgerTransaction(
                id=tx_id,
                organization_id=organization_id,
                kind=m.kind,
                ref_type=ref_type,
                ref_id=ref_id,
                memo=m.memo,
                occurred_at=at,
            )
        )
        await self.session.flush()
        deltas: dict[UUID, int] = {}
        for p in m.postings:
            currency = p.amount.currency.value
            account_id = await self.account_id(organization_id, p.account, currency)
            self.session.add(
                LedgerEntry(
                    id=uuid.uuid4(),
                    transaction_id=tx_id,
                    account_id=account_id,
                    currency=currency,
                    amount_minor=p.amount.amount_minor,
                    party_id=p.party,
                )
            )
            deltas[account_id] = deltas.get(account_id, 0) + p.amount.amount_minor
        # Running balances in one order (by id), so concurrent postings never deadlock on them.
        for account_id in sorted(deltas):
            await self.session.execute(
                update(LedgerAccount)
                .where(LedgerAccount.id == account_id)
                .values(balance_minor=LedgerAccount.balance_minor + deltas[account_id])
            )
        await self.session.flush()
        return tx_id

    async def accounts(self, organization_id: UUID) -> Sequence[LedgerAccount]:
        stmt = (
            select(LedgerAccount)
            .where(LedgerAccount.organization_id == organization_id)
            .order_by(LedgerAccount.code, LedgerAccount.currency)
        )
        return await self.all(stmt)

    async def entry_sums(self, organization_id: UUID) -> dict[UUID, int]:
        stmt = (
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_minor))
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(LedgerAccount.organization_id == organization_id)
            .group_by(LedgerEntry.account_id)
        )
        return {r[0]: int(r[1]) for r in await self.session.execute(stmt)}

    async def unbalanced_transactions(self, organization_id: UUID) -> list[UUID]:
        stmt = (
            select(LedgerEntry.transaction_id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerTransaction.organization_id == organization_id)
            .group_by(LedgerEntry.transaction_id, LedgerEntry.currency)
            .having(func.sum(LedgerEntry.amount_minor) != 0)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def transaction_count(self, organization_id: UUID) -> int:
        stmt = select(func.count()).where(LedgerTransaction.organization_id == organization_id)
        return int(await self.session.scalar(stmt) or 0)

    async def party_balance(self, organization_id: UUID, account: Account, party_id: UUID) -> dict[str, int]:
        """Debit minus credit of one party's entries on one account, per currency."""
        stmt = (
            select(LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(
                LedgerAccount.organization_id == organization_id,
                LedgerAccount.code == account.value,
                LedgerEntry.party_id == party_id,
            )
            .group_by(LedgerEntry.currency)
        )
        return {r[0]: int(r[1]) for r in await self.session.execute(stmt)}
