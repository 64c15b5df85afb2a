"""Base of every module's repository: the only place queries live."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

M = TypeVar("M", bound=DeclarativeBase)


class RepositoryBase(Generic[M]):
    """Typed helpers over one model; repositories never commit (the request or event owns that)."""

    model: type[M]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id_: UUID, *, for_update: bool = False) -> M | None:
        if for_update:
            stmt = select(self.model).where(self.model.id == id_).with_for_update()  # type: ignore[attr-defined]
            return (await self.session.execute(stmt)).scalar_one_or_none()
        return await self.session.get(self.model, id_)

    async def add(self, obj: M, *, flush: bool = True) -> M:
        self.session.add(obj)
        if flush:
            await self.session.flush()
        return obj

    async def all(self, stmt: Select[M]) -> Sequence[M]:
        return (await self.session.execute(stmt)).scalars().all()

    async def one_or_none(self, stmt: Select[M]) -> M | None:
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def page(self, stmt: Select[M], *, limit: int, key_column: Any, after: Any | None) -> Sequence[M]:
        """Keyset page: rows after `after` by `key_column`, one extra to tell if more exist."""
        if after is not None:
            stmt = stmt.where(key_column > after)
        return (await self.session.execute(stmt.order_by(key_column).limit(limit + 1))).scalars().all()
