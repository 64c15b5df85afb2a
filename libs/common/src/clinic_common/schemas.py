"""Base models for request and response bodies, and the time types every API shares.

The OpenAPI document is a contract clients are generated from, so each type here validates exactly
what its JSON schema says: an `Instant` is an RFC 3339 string with an offset (never an epoch
number), a `LocalDate` is `YYYY-MM-DD` (never a date-time), and both stay within a sane range of
years, so converting them between time zones cannot overflow.
"""

from __future__ import annotations

import re
import types
from datetime import date, datetime, time
from typing import Annotated, Any, Final, Generic, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

__all__ = [
    "EARLIEST_YEAR",
    "LATEST_YEAR",
    "Instant",
    "LocalDate",
    "LocalTime",
    "Page",
    "RequestModel",
    "ResponseModel",
]

# Wide enough for any birth date, order or appointment; narrow enough that a day either side,
# in any zone, is still a valid datetime (Python's range is years 1..9999).
EARLIEST_YEAR: Final = 1900
LATEST_YEAR: Final = 2999
_YEAR = r"(19[0-9]{2}|2[0-9]{3})"

# RFC 3339 `date-time`, as JSON Schema's `format: date-time` means it: seconds and an offset are
# required, `T` separates (pydantic alone would also take a space, a missing offset or an epoch).
_INSTANT_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?$"


def _instant_input(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _INSTANT_RE.match(value):
        return value
    raise ValueError("expected an RFC 3339 date-time with an offset, e.g. 2026-11-23T10:30:00+05:00")


def _instant_range(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the date-time needs an offset (Z or +hh:mm)")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _date_input(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_RE.match(value):
        return value
    raise ValueError("expected a calendar date YYYY-MM-DD, without a time")


def _date_range(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


Instant = Annotated[
    datetime,
    BeforeValidator(_instant_input),
    AfterValidator(_instant_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": f"^{_YEAR}-",
            "description": f"RFC 3339 date-time with an offset, years {EARLIEST_YEAR}-{LATEST_YEAR}",
            "examples": ["2026-11-23T10:30:00+05:00"],
        }
    ),
]
"""An instant a client sends (a booking start, `?at=`): RFC 3339 with an offset, bounded years."""

LocalDate = Annotated[
    date,
    BeforeValidator(_date_input),
    AfterValidator(_date_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": f"^{_YEAR}-",
            "description": f"Calendar date YYYY-MM-DD, years {EARLIEST_YEAR}-{LATEST_YEAR}",
            "examples": ["2026-11-23"],
        }
    ),
]
"""A calendar date a client sends (a birth date, `?valid_on=`): `YYYY-MM-DD`, bounded years."""

LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _TIME_PATTERN,
            "description": "Wall-clock time hh:mm:ss in the zone named next to it (no offset)",
            "examples": ["08:00:00"],
        }
    ),
]
"""A wall-clock time (opening hours, shifts). Not JSON Schema's `format: time`, which needs an
offset: these times are local to a branch's zone by definition."""


def _scalar(annotation: Any) -> type | None:
    """int, float or bool when a field holds one of them (or None), else None."""
    if get_origin(annotation) is Annotated:
        return _scalar(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = {_scalar(a) for a in get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    return annotation if annotation in (int, float, bool) else None


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields: a typo must not be silently ignored.

    Values keep the JSON type the document declares: an `integer` field takes 27 or 27.0 but not
    "27" or true, a `number` not "1.5", a `boolean` only true or false (pydantic alone would take
    "27", "1.5" and "yes"). Strings are taken as sent, without silent stripping, so `maxLength` in
    the document is what the server checks."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _json_type(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        kind = _scalar(field.annotation) if field is not None else None
        if kind is None or value is None:
            return value
        if kind is bool:
            if not isinstance(value, bool):
                raise ValueError("expected a JSON boolean (true or false)")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a JSON {'integer' if kind is int else 'number'}")
        elif kind is int and isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
