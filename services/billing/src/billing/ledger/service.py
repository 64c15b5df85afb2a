"""Posting to the ledger from the use cases; never commits (the request or event owns that)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.ledger.domain import Movement
from billing.ledger.repository import LedgerRepository


async def post(
    session: AsyncSession,
    organization_id: UUID,
    m: Movement | None,
    *,
    ref_type: str,
    ref_id: UUID,
    at: datetime,
) -> UUID | None:
    """BIL-7: write one balanced movement (nothing when there is nothing to move)."""
    if m is None:
        return None
    return await LedgerRepository(session).write(organization_id, m, ref_type=ref_type, ref_id=ref_id, at=at)
