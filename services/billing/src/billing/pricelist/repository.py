"""Queries of the price list module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinic_common.db import RepositoryBase

from billing.pricelist.domain import VersionRef
from billing.pricelist.models import PriceListItem, PriceListVersion


class PriceListRepository(RepositoryBase[PriceListVersion]):
    model = PriceListVersion

    async def version_refs(self, organization_id: UUID) -> list[VersionRef]:
        """Every version of the organization, for the BIL-1 choice of the one in force."""
        stmt = select(PriceListVersion.id, PriceListVersion.effective_from).where(
            PriceListVersion.organization_id == organization_id
        )
        rows = await self.session.execute(stmt)
        return [VersionRef(id=r.id, effective_from=r.effective_from) for r in rows]

    async def items_of(self, price_list_id: UUID) -> Sequence[PriceListItem]:
        stmt = (
            select(PriceListItem)
            .where(PriceListItem.price_list_id == price_list_id)
            .order_by(PriceListItem.service_code)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def item(self, price_list_id: UUID, service_code: str) -> PriceListItem | None:
        stmt = select(PriceListItem).where(
            PriceListItem.price_list_id == price_list_id, PriceListItem.service_code == service_code
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add_version(self, version: PriceListVersion, items: Sequence[PriceListItem]) -> None:
        """Insert a version and its items; the unique key on (organization, effective_from) raises
        at the flush when the date is taken (mapped to 409 `price_list_version_exists`)."""
        await self.add(version)
        self.session.add_all(items)
        await self.session.flush()

    # --- demo data: written directly, loaded again safely ------------------------------------

    async def put_version(
        self, *, id_: UUID, organization_id: UUID, effective_from: date, approval_order: str, now: datetime
    ) -> UUID:
        """Insert or refresh the version of that date; returns the id of the row that holds it."""
        insert = pg_insert(PriceListVersion).values(
            id=id_,
            organization_id=organization_id,
            effective_from=effective_from,
            approval_order=approval_order,
            created_at=now,
        )
        stmt = insert.on_conflict_do_update(
            constraint=PriceListVersion.UNIQUE_EFFECTIVE_FROM,
            set_={"approval_order": insert.excluded.approval_order},
        ).returning(PriceListVersion.id)
        return (await self.session.execute(stmt)).scalar_one()

    async def put_items(self, price_list_id: UUID, rows: Sequence[dict[str, Any]]) -> None:
        """Make the version's items exactly `rows` (each with its `id`), updating those present."""
        codes = [r["service_code"] for r in rows]
        await self.session.execute(
            delete(PriceListItem).where(
                PriceListItem.price_list_id == price_list_id, PriceListItem.service_code.not_in(codes)
            )
        )
        if not rows:
            return
        stmt = pg_insert(PriceListItem).values([{**r, "price_list_id": price_list_id} for r in rows])
        updated = ("name", "price_minor", "currency", "state_order", "preventive", "category")
        stmt = stmt.on_conflict_do_update(
            index_elements=[PriceListItem.price_list_id, PriceListItem.service_code],
            set_={c: stmt.excluded[c] for c in updated},
        )
        await self.session.execute(stmt)
