"""Demo data owned by records (loaded again safely). Organizations arrive from scheduling."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.settings import ServiceSettings


async def seed(session: AsyncSession, settings: ServiceSettings) -> None:
    """Records owns no reference data of its own yet; patients are registered through the API."""
