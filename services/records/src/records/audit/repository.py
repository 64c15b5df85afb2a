"""Queries of the audit trail, break-glass accesses and review items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select

from clinic_common.db import RepositoryBase

from records.audit.models import AuditEvent, BreakGlassAccess, ReviewItem
from records.paging import keyset


class AuditRepository(RepositoryBase[AuditEvent]):
    model = AuditEvent

    async def insert(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(AuditEvent), list(rows))

    async def for_patient(self, patient_id: UUID, *, limit: int, after: int | None) -> Sequence[AuditEvent]:
        stmt = select(AuditEvent).where(AuditEvent.patient_id == patient_id)
        return await self.page(stmt, limit=limit, key_column=AuditEvent.id, after=after)

    async def open_break_glass(
        self, patient_id: UUID, subject: str, now: datetime
    ) -> BreakGlassAccess | None:
        stmt = (
            select(BreakGlassAccess)
            .where(
                BreakGlassAccess.patient_id == patient_id,
                BreakGlassAccess.actor_subject == subject,
                BreakGlassAccess.opened_at <= now,
                BreakGlassAccess.expires_at > now,
            )
            .order_by(BreakGlassAccess.opened_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def reviews(
        self, organization_id: UUID, *, open_only: bool, kind: str | None, limit: int, cursor: str | None
    ) -> Sequence[ReviewItem]:
        stmt = select(ReviewItem).where(ReviewItem.organization_id == organization_id)
        if open_only:
            stmt = stmt.where(ReviewItem.reviewed_at.is_(None))
        if kind is not None:
            stmt = stmt.where(ReviewItem.kind == kind)
        stmt = keyset(
            stmt, ReviewItem.created_at, ReviewItem.id, cursor=cursor, key_type=datetime, limit=limit
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def review(self, review_id: UUID, *, for_update: bool = False) -> ReviewItem | None:
        stmt = select(ReviewItem).where(ReviewItem.id == review_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()
