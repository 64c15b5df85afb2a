"""What the event backbone of one service looks like right now: for /healthz and /metrics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinic_common.db.platform import PlatformTables


@dataclass
class OutboxFigures:
    """Figures read from the service's database; None when it did not answer."""

    backlog: int | None = None
    lag_seconds: float | None = None
    parked: dict[str, int] = field(default_factory=dict)
    database_up: bool = False


async def read_figures(engine: AsyncEngine, platform: PlatformTables) -> OutboxFigures:
    """Backlog, age of the oldest unsent row, and parked rows of both dead-letter tables."""
    t = platform.outbox
    oldest = (
        select(func.extract("epoch", func.now() - t.c.created_at))
        .where(t.c.published_at.is_(None))
        .order_by(t.c.position)
        .limit(1)
        .scalar_subquery()
    )
    stmt = select(
        select(func.count()).select_from(t).where(t.c.published_at.is_(None)).scalar_subquery(),
        oldest,
        _parked_count(platform.dead_letters),
        _parked_count(platform.outbox_dead_letters),
    )

    async def read() -> OutboxFigures:
        async with engine.connect() as conn:
            backlog, lag, parked_events, parked_outbox = (await conn.execute(stmt)).one()
        return OutboxFigures(
            backlog=int(backlog),
            lag_seconds=max(0.0, float(lag)) if lag is not None else 0.0,
            parked={"dead_letters": int(parked_events), "outbox_dead_letters": int(parked_outbox)},
            database_up=True,
        )

    try:
        return await asyncio.wait_for(read(), 2.0)  # /healthz answers while the database does not
    except asyncio.CancelledError:
        raise
    except Exception:
        return OutboxFigures()


def _parked_count(table: Any) -> Any:
    return select(func.count()).select_from(table).where(table.c.status == "parked").scalar_subquery()
