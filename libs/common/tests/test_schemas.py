"""The shared request types accept exactly what their JSON schema says (issue 5, points 9 and 10)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from clinic_common.schemas import Instant, LocalDate, LocalTime, RequestModel

pytestmark = pytest.mark.unit

INSTANT = TypeAdapter(Instant)
LOCAL_DATE = TypeAdapter(LocalDate)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-23T10:30:00+05:00",
        "2026-11-23T10:30:00Z",
        "2026-11-23t10:30:00.123456z",
        "1900-01-01T00:00:00+14:00",
        "2999-12-31T23:59:59-14:00",
    ],
)
def test_instant_takes_rfc3339_with_an_offset(value: str) -> None:
    parsed = INSTANT.validate_python(value)
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    "value",
    [
        1700000000,  # an epoch number
        "1700000000",  # pydantic alone reads a digit string as an epoch too
        1.7e9,
        True,
        "2026-11-23T10:30:00",  # no offset
        "2026-11-23 10:30:00Z",  # a space instead of T
        "2026-11-23T10:30Z",  # no seconds
        "2026-11-23",
        "0001-01-01T00:00:00+14:00",  # converted to UTC or to Almaty, this leaves Python's calendar
        "9999-12-31T23:59:00-14:00",
        "9999-12-31T23:59:59Z",
        "1899-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
    ],
)
def test_instant_refuses_epochs_naive_times_and_far_years(value: Any) -> None:
    with pytest.raises(ValidationError):
        INSTANT.validate_python(value)


def test_instant_accepts_aware_datetimes_from_python() -> None:
    now = datetime(2026, 11, 23, 5, 30, tzinfo=UTC)
    assert INSTANT.validate_python(now) == now
    with pytest.raises(ValidationError):
        INSTANT.validate_python(datetime(2026, 11, 23, 5, 30))


def test_instant_schema_states_the_format_and_the_years() -> None:
    schema = INSTANT.json_schema()
    assert (schema["type"], schema["format"]) == ("string", "date-time")
    pattern = re.compile(schema["pattern"])
    assert pattern.search("2026-11-23T10:30:00Z")
    assert not pattern.search("0001-01-01T00:00:00Z")
    assert not pattern.search("3000-01-01T00:00:00Z")


@pytest.mark.parametrize("value", ["1990-05-17", "1900-01-01", "2999-12-31", date(1990, 5, 17)])
def test_local_date_takes_calendar_dates(value: Any) -> None:
    assert isinstance(LOCAL_DATE.validate_python(value), date)


@pytest.mark.parametrize(
    "value",
    [
        "1990-05-17T00:00:00",  # a birth date with a time (pydantic alone takes a zero time)
        "1990-05-17T10:00:00Z",
        datetime(1990, 5, 17),
        1700000000,
        "19900517",
        "0001-01-01",
        "1899-12-31",
        "3000-01-01",
    ],
)
def test_local_date_refuses_times_numbers_and_far_years(value: Any) -> None:
    with pytest.raises(ValidationError):
        LOCAL_DATE.validate_python(value)


def test_local_time_is_documented_without_an_offset() -> None:
    """JSON Schema's `format: time` requires an offset, which a branch's wall-clock time has not."""
    schema = TypeAdapter(LocalTime).json_schema()
    assert "format" not in schema
    serialized = TypeAdapter(LocalTime).dump_python(time(8, 0), mode="json")
    assert serialized == "08:00:00"
    assert re.search(schema["pattern"], serialized)


class Body(RequestModel):
    count: int = Field(ge=0, le=100)
    ratio: float | None = None
    consent: bool
    name: str = Field(max_length=5)


class Outer(RequestModel):
    inner: Body


GOOD: dict[str, Any] = {"count": 3, "ratio": 0.5, "consent": True, "name": "abc"}


@pytest.mark.parametrize(
    "change",
    [
        {"consent": "yes"},
        {"consent": 1},
        {"count": "3"},
        {"count": True},
        {"count": 3.5},
        {"ratio": "0.5"},
        {"ratio": False},
        {"name": "abc   "},  # over max_length as sent: no silent stripping
        {"extra": 1},
    ],
)
def test_request_models_keep_json_types(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Body.model_validate({**GOOD, **change})
    with pytest.raises(ValidationError):
        Outer.model_validate({"inner": {**GOOD, **change}})


def test_request_models_take_what_json_schema_calls_valid() -> None:
    """27.0 is an integer to JSON Schema, an int is a number, null an absent optional."""
    parsed = Body.model_validate({**GOOD, "count": 27.0, "ratio": 1})
    assert (parsed.count, type(parsed.count), parsed.ratio) == (27, int, 1.0)
    assert Body.model_validate({**GOOD, "ratio": None}).ratio is None


def test_request_model_json_types_do_not_change_the_schema() -> None:
    properties = Body.model_json_schema()["properties"]
    assert properties["count"] == {"maximum": 100, "minimum": 0, "title": "Count", "type": "integer"}
    assert properties["consent"]["type"] == "boolean"


class Plain(BaseModel):
    consent: bool


def test_plain_models_are_untouched() -> None:
    """Responses and internal models keep pydantic's own parsing."""
    assert Plain.model_validate({"consent": "yes"}).consent is True
