"""The Idempotency-Key store: fingerprint, fenced lease, stored response (api.md, Idempotency).

The key is claimed in its own short transaction with a lease and an owner token; the response is
stored in the request's own transaction, so it is committed exactly when the effect is. While the
request runs, a heartbeat on its own connection keeps the lease fresh. A request whose process
stalls or dies loses the lease, and a retry takes the key over with a new owner; the stalled one
can then no longer complete (the UPDATE is fenced by the owner token), so its transaction rolls
back with 409 and only one of them takes effect. Any failure releases the key, if still ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
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

log = logging.getLogger(__name__)

KEEP_FOR = timedelta(hours=24)

# 1 to 255 visible ASCII characters, inner spaces allowed; the OpenAPI document says the same.
KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?$"
KEY_RE = re.compile(KEY_PATTERN)


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"
    title = "The Idempotency-Key was used with a different request"


class IdempotencyKeyInProgress(AppError):
    status = 409
    code = "idempotency_key_in_progress"
    title = "A request with this Idempotency-Key is still running"


class IdempotencyClaimLost(IdempotencyKeyInProgress):
    """This request's lease lapsed and a retry took the key over: this one must not commit."""


class IdempotencyKeyRequired(AppError):
    status = 400
    code = "idempotency_key_required"
    title = "This request needs an Idempotency-Key header"


class IdempotencyKeyInvalid(AppError):
    status = 400
    code = "idempotency_key_invalid"
    title = "The Idempotency-Key must be 1 to 255 visible ASCII characters"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class Claim:
    """A running key held by one request; `owner` fences every later write to it."""

    scope: str
    key: str
    owner: uuid.UUID


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of the request; JSON bodies are canonicalised so key order and spacing do not matter."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


class IdempotencyStore:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        platform: PlatformTables,
        lease_seconds: float,
        heartbeat_seconds: float | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.table = platform.idempotency_keys
        self.lease = timedelta(seconds=lease_seconds)
        # Three beats per lease: one lost or slow renewal does not let the lease lapse.
        self.heartbeat_seconds = heartbeat_seconds if heartbeat_seconds else lease_seconds / 3
        self._background: set[asyncio.Task[None]] = set()

    def _now(self) -> datetime:
        return datetime.now(UTC)  # leases and TTLs run on the wall clock

    async def claim(self, scope: str, key: str, fp: str) -> Claim | StoredResponse:
        """Claim the key for this request, or return the first response, or refuse."""
        t = self.table
        now = self._now()
        owner = uuid.uuid4()
        async with self.sessionmaker() as session, session.begin():
            await session.execute(delete(t).where(t.c.scope == scope, t.c.key == key, t.c.expires_at < now))
            claimed = await session.execute(
                pg_insert(t)
                .values(
                    scope=scope,
                    key=key,
                    fingerprint=fp,
                    state="running",
                    owner=owner,
                    lease_until=now + self.lease,
                    expires_at=now + KEEP_FOR,
                )
                .on_conflict_do_nothing()
                .returning(t.c.key)
            )
            if claimed.first() is not None:
                return Claim(scope, key, owner)
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
            # The holder stopped renewing (died or stalled): take the key over; its owner token
            # changes, so the old holder can no longer complete.
            await session.execute(
                update(t)
                .where(t.c.scope == scope, t.c.key == key)
                .values(owner=owner, lease_until=now + self.lease)
            )
            return Claim(scope, key, owner)

    async def renew(self, claim: Claim) -> bool:
        """Extend the lease of a key we still own; False once it was taken over or completed."""
        t = self.table
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                update(t)
                .where(*self._ours(claim))
                .values(lease_until=self._now() + self.lease)
                .returning(t.c.key)
            )
            return result.first() is not None

    @contextlib.asynccontextmanager
    async def kept_alive(self, claim: Claim) -> AsyncIterator[None]:
        """Renew the lease in the background while the block runs."""
        task = asyncio.create_task(self._heartbeat(claim), name=f"idempotency-heartbeat-{claim.key}")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _heartbeat(self, claim: Claim) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                if not await self.renew(claim):
                    log.warning("idempotency key %r was taken over while its request ran", claim.key)
                    return
            except Exception as exc:  # a DB hiccup: keep trying while the lease lasts
                log.warning("idempotency lease renewal failed: %s", exc)

    async def complete(self, session: AsyncSession, claim: Claim, response: StoredResponse) -> None:
        """Store the response in the request's own transaction, only if the claim is still ours.

        Run it last: from here on the request's transaction holds the key row's lock.
        """
        t = self.table
        result = await session.execute(
            update(t)
            .where(*self._ours(claim))
            .values(
                state="completed",
                response_status=response.status,
                response_body=response.body,
                response_headers=response.headers,
            )
            .returning(t.c.key)
        )
        if result.first() is None:
            raise IdempotencyClaimLost("This request outlived its lease and a retry took the key over")

    async def release(self, claim: Claim) -> None:
        """Free a running key we still own, so a corrected or repeated request can run."""
        t = self.table
        async with self.sessionmaker() as session, session.begin():
            await session.execute(delete(t).where(*self._ours(claim)))

    async def release_after_failure(self, claim: Claim, *, may_hold_row_lock: bool) -> None:
        """Release without waiting on our own transaction: if it may hold the key row's lock
        (the failure came after `complete`), release in the background once it has rolled back."""
        if may_hold_row_lock:
            task = asyncio.create_task(self._release_logged(claim))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return
        await asyncio.shield(self._release_logged(claim))

    async def _release_logged(self, claim: Claim) -> None:
        try:
            await self.release(claim)
        except Exception as exc:  # the lease still expires; never mask the request's own error
            log.warning("releasing idempotency key %r failed: %s", claim.key, exc)

    def _ours(self, claim: Claim) -> tuple[Any, ...]:
        t = self.table
        return (
            t.c.scope == claim.scope,
            t.c.key == claim.key,
            t.c.owner == claim.owner,
            t.c.state == "running",
        )


class Idempotency:
    """Per-request helper: `await idem.run(fn, status_code=201)` runs fn at most once per key."""

    def __init__(self, request: Request, session: AsyncSession, key: str | None) -> None:
        self.request = request
        self.session = session
        self.key = key
        if key is not None and not KEY_RE.fullmatch(key):
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
        claimed = await self.store.claim(scope, self.key, fp)
        if isinstance(claimed, StoredResponse):
            return JSONResponse(
                claimed.body,
                status_code=claimed.status,
                headers={**claimed.headers, "Idempotent-Replayed": "true"},
            )
        completing = False
        try:
            async with self.store.kept_alive(claimed):
                result = await fn()
                body = jsonable_encoder(result)
                extra = headers(result) if headers else {}
                await self.session.flush()  # the effect's own errors surface before the key is locked
            completing = True
            await self.store.complete(self.session, claimed, StoredResponse(status_code, body, extra))
        except IdempotencyClaimLost:
            raise  # the key belongs to the retry now; our transaction rolls back
        except BaseException:
            # Any failure, cancellation included: nothing of ours commits, so free the key.
            await self.store.release_after_failure(claimed, may_hold_row_lock=completing)
            raise
        return JSONResponse(body, status_code=status_code, headers=extra or None)


async def get_idempotency(
    request: Request,
    session: SessionDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Makes the request safe to retry (api.md, Idempotency)",
            # Documented, and checked by `Idempotency` itself (400 `idempotency_key_invalid`).
            json_schema_extra={"minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
        ),
    ] = None,
) -> Idempotency:
    return Idempotency(request, session, idempotency_key)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
