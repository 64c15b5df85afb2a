"""Keyset pages of records' lists (api.md, Lists: `?limit=&cursor=`, `{"items", "next_cursor"}`).

A cursor is the sort key of the last item given out, `<key>|<id>`, opaque to clients; the next
page starts strictly after it, so pages neither repeat nor skip rows added meanwhile before it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Query
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from clinic_common.errors import AppError

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=100, description="`next_cursor` of the previous page")]


class InvalidCursor(AppError):
    status = 422
    code = "invalid_cursor"
    title = "The cursor is not one this list gave out"


def encode(key: datetime | date, id_: UUID) -> str:
    """URL-safe as it stands (no `+`): instants in UTC with `Z`."""
    if isinstance(key, datetime):
        return f"{key.astimezone(UTC).isoformat().replace('+00:00', 'Z')}|{id_}"
    return f"{key.isoformat()}|{id_}"


def decode(cursor: str, key_type: type[datetime] | type[date]) -> tuple[Any, UUID]:
    try:
        key, id_ = cursor.split("|")
        value: Any = datetime.fromisoformat(key) if key_type is datetime else date.fromisoformat(key)
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("naive")
        return value, UUID(id_)
    except ValueError as exc:
        raise InvalidCursor() from exc


def keyset(
    stmt: Select[Any],
    key: InstrumentedAttribute[Any],
    id_: InstrumentedAttribute[Any],
    *,
    cursor: str | None,
    key_type: type[datetime] | type[date],
    limit: int,
    descending: bool = False,
) -> Select[Any]:
    """`stmt` ordered by (key, id), after the cursor, one row more than a page (to tell if more)."""
    if cursor is not None:
        after = decode(cursor, key_type)
        bound = tuple_(key, id_)
        stmt = stmt.where(bound < tuple_(*after) if descending else bound > tuple_(*after))
    order = (key.desc(), id_.desc()) if descending else (key, id_)
    return stmt.order_by(*order).limit(limit + 1)


def page(rows: Sequence[T], limit: int, cursor_of: Callable[[T], str]) -> tuple[list[T], str | None]:
    """The page and the cursor of the next one (None on the last page)."""
    items = list(rows[:limit])
    return items, cursor_of(items[-1]) if len(rows) > limit and items else None
