"""Recording a side effect as a delivery row, in the caller's own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import uuid_utils
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.db.platform import PlatformTables


class Deliveries:
    """`add` is the only way a service asks for an SMS, a WhatsApp message or a fiscal receipt.

    Nothing is sent here: the row commits (or rolls back) with the state change that caused it,
    and the delivery worker sends it afterwards."""

    def __init__(self, platform: PlatformTables) -> None:
        self.table = platform.deliveries

    async def add(
        self,
        session: AsyncSession,
        *,
        channel: str,
        recipient: str | None,
        payload: Mapping[str, Any] | BaseModel,
        idempotency_key: str,
        ref: tuple[str, UUID | str] | None = None,
    ) -> UUID:
        """The delivery's id; a key seen before adds nothing and returns the first row's id, so a
        re-handled event or a repeated request asks for its effect once.

        The key is also what the provider dedupes on: derive it from what caused the effect
        (`f"notification:{notification_id}:sms"`, `f"fiscal:{document_id}"`), never at random."""
        if not channel or not (1 <= len(idempotency_key) <= 255 and idempotency_key.isprintable()):
            raise ValueError("a delivery needs a channel and a printable idempotency key of 1-255 characters")
        t = self.table
        body = (
            payload.model_dump(mode="json") if isinstance(payload, BaseModel) else jsonable_encoder(payload)
        )
        ref_type, ref_id = (ref[0], str(ref[1])) if ref is not None else (None, None)
        inserted = await session.execute(
            pg_insert(t)
            .values(
                id=UUID(str(uuid_utils.uuid7())),
                channel=channel,
                idempotency_key=idempotency_key,
                recipient=recipient,
                payload=body,
                ref_type=ref_type,
                ref_id=ref_id,
            )
            .on_conflict_do_nothing(index_elements=[t.c.idempotency_key])
            .returning(t.c.id)
        )
        row = inserted.first()
        if row is not None:
            return UUID(str(row.id))
        existing = await session.scalar(select(t.c.id).where(t.c.idempotency_key == idempotency_key))
        assert existing is not None  # the conflicting row is committed: ON CONFLICT waited for it
        return UUID(str(existing))
