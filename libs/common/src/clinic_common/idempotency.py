"""The Idempotency-Key store: fingerprint, lease, stored response (api.md, Idempotency).

The key is claimed in its own short transaction with a lease; the response is stored in the
request's own transaction, so it is committed exactly when the effect is. A request that crashes
leaves a lease that expires, after which a retry takes the key over; a refused request releases
the key so a corrected retry can run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clinic_common.db.platform import PlatformTables
from clinic_common.db.session import SessionDep
from clinic_common.errors import AppError

KEEP_FOR = timedelta(hours=24)


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"
    title = "The Idempotency-Key was used with a different request"


class IdempotencyKeyInProgress(AppError):
    status = 409
    code = "idempotency_key_in_progress"
    title = "A request with this Idempotency-Key is still running"


class IdempotencyKeyRequired(AppError):
    status = 400
    code = "idempotency_key_required"
    title = "This request needs an Idempotency-Key header"


class IdempotencyKeyInvalid(AppError):
    status = 400
    code = "idempotency_key_invalid"
    title = "The Idempotency-Key must be 1 to 255 printable characters"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any
    headers: dict[str, str]


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of the request; JSON bodies are canonicalised so key order and spacing do not matter."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


class IdempotencyStore:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], platform: PlatformTables, lease_seconds: float
    ) -> None:
        self.sessionmaker = sessionmaker
        self.table = platform.idempotency_keys
        self.lease = timedelta(seconds=lease_seconds)

    async def claim(self, scope: str, key: str, fp: str) -> StoredResponse | None:
        """Claim the key for this request, or return the first response, or refuse."""
        t = self.table
        now = datetime.now(UTC)  # leases and TTLs run on the wall clock
        async with self.sessionmaker() as session, session.begin():
            await session.execute(delete(t).where(t.c.scope == scope, t.c.key == key, t.c.expires_at < now))
            claimed = await session.execute(
                pg_insert(t)
                .values(
                    scope=scope,
                    key=key,
                    fingerprint=fp,
                    state="running",
                    lease_until=now + self.lease,
                    expires_at=now + KEEP_FOR,
                )
                .on_conflict_do_nothing()
                .returning(t.c.key)
            )
            if claimed.first() is not None:
                return None
            row = (
                (await session.execute(select(t).where(t.c.scope == scope, t.c.key == key).with_for_update()))
                .mappings()
                .one()
            )
            if row["fingerprint"] != fp:
                raise IdempotencyKeyReused()
            if row["state"] == "completed":
                return StoredResponse(
                    row["response_status"], row["response_body"], row["response_headers"] or {}
                )
            if row["lease_until"] > now:
                raise IdempotencyKeyInProgress()
            # The first request died without finishing: take the key over.
            await session.execute(
                update(t).where(t.c.scope == scope, t.c.key == key).values(lease_until=now + self.lease)
            )
            return None

    async def complete(self, session: AsyncSession, scope: str, key: str, response: StoredResponse) -> None:
        """Store the response in the request's own transaction."""
        t = self.table
        await session.execute(
            update(t)
            .where(t.c.scope == scope, t.c.key == key)
            .values(
                state="completed",
                response_status=response.status,
                response_body=response.body,
                response_headers=response.headers,
            )
        )

    async def release(self, scope: str, key: str) -> None:
        t = self.table
        async with self.sessionmaker() as session, session.begin():
            await session.execute(delete(t).where(t.c.scope == scope, t.c.key == key, t.c.state == "running"))


class Idempotency:
    """Per-request helper: `await idem.run(fn, status_code=201)` runs fn at most once per key."""

    def __init__(self, request: Request, session: AsyncSession, key: str | None) -> None:
        self.request = request
        self.session = session
        self.key = key
        if key is not None and not (1 <= len(key) <= 255 and key.isprintable()):
            raise IdempotencyKeyInvalid()

    @property
    def store(self) -> IdempotencyStore:
        store: IdempotencyStore = self.request.app.state.idempotency
        return store

    def _scope(self, principal_subject: str) -> str:
        return f"{principal_subject}|{self.request.method}|{self.request.url.path}"

    async def run(
        self,
        fn: Callable[[], Awaitable[BaseModel]],
        *,
        principal_subject: str,
        status_code: int = 201,
        required: bool = False,
        headers: Callable[[BaseModel], dict[str, str]] | None = None,
    ) -> JSONResponse:
        if self.key is None:
            if required:
                raise IdempotencyKeyRequired()
            result = await fn()
            return JSONResponse(
                jsonable_encoder(result),
                status_code=status_code,
                headers=headers(result) if headers else None,
            )
        scope = self._scope(principal_subject)
        fp = fingerprint(self.request.method, self.request.url.path, await self.request.body())
        stored = await self.store.claim(scope, self.key, fp)
        if stored is not None:
            return JSONResponse(
                stored.body,
                status_code=stored.status,
                headers={**stored.headers, "Idempotent-Replayed": "true"},
            )
        try:
            result = await fn()
            body = jsonable_encoder(result)
            extra = headers(result) if headers else {}
            await self.store.complete(self.session, scope, self.key, StoredResponse(status_code, body, extra))
            await self.session.flush()
        except AppError:
            # Nothing was committed: free the key so a corrected request may use it.
            await self.store.release(scope, self.key)
            raise
        return JSONResponse(body, status_code=status_code, headers=extra or None)


async def get_idempotency(
    request: Request,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Idempotency:
    return Idempotency(request, session, idempotency_key)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
