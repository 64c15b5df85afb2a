"""Queries of the medical card."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select, tuple_

from clinic_common.db import RepositoryBase

from records.card.models import CardEntry, Referral

DONE_KINDS = (
    "examination",
    "laboratory_result",
    "instrumental_result",
    "intervention",
    "prescription",
    "encounter",
)


class CardRepository(RepositoryBase[CardEntry]):
    model = CardEntry

    async def entries(self, patient_id: UUID, *, limit: int, after: CardEntry | None) -> Sequence[CardEntry]:
        stmt = select(CardEntry).where(CardEntry.patient_id == patient_id)
        if after is not None:
            stmt = stmt.where(
                tuple_(CardEntry.recorded_at, CardEntry.id) > tuple_(after.recorded_at, after.id)
            )
        stmt = stmt.order_by(CardEntry.recorded_at, CardEntry.id).limit(limit + 1)
        return await self.all(stmt)

    async def done_so_far(self, patient_id: UUID) -> list[dict[str, str]]:
        """REC-16 (O 5.1.11): the examinations and treatment in the card, as last corrected."""
        corrected = select(CardEntry.amends_id).where(
            CardEntry.patient_id == patient_id, CardEntry.amends_id.is_not(None)
        )
        stmt = (
            select(CardEntry)
            .where(
                CardEntry.patient_id == patient_id,
                CardEntry.kind.in_(DONE_KINDS),
                CardEntry.id.not_in(corrected),
            )
            .order_by(CardEntry.recorded_at, CardEntry.id)
        )
        return [
            {
                "entry_id": str(e.id),
                "kind": e.kind,
                "text": e.text[:300],
                "recorded_at": e.recorded_at.isoformat(),
            }
            for e in await self.all(stmt)
        ]

    async def amended_ids(self, ids: Sequence[UUID]) -> set[UUID]:
        """The entries among `ids` that a later amendment corrects."""
        if not ids:
            return set()
        stmt = select(CardEntry.amends_id).where(CardEntry.amends_id.in_(ids)).distinct()
        return {i for i in (await self.session.execute(stmt)).scalars().all() if i is not None}

    async def history(self, entry: CardEntry) -> Sequence[CardEntry]:
        """REC-8: the entry, what it corrects, and every amendment of it, oldest first."""
        root = entry
        while root.amends_id is not None:
            parent = await self.session.get(CardEntry, root.amends_id)
            if parent is None:
                break
            root = parent
        chain = [root]
        frontier = [root.id]
        while frontier:
            rows = await self.all(select(CardEntry).where(CardEntry.amends_id.in_(frontier)))
            chain.extend(rows)
            frontier = [r.id for r in rows]
        return sorted(chain, key=lambda e: (e.recorded_at, e.id))

    async def referral(self, referral_id: UUID, *, for_update: bool = False) -> Referral | None:
        return await self.session.get(Referral, referral_id, with_for_update=for_update)
