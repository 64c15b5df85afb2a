"""The CloudEvents envelope: type pattern, sequence, ids."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from clinic_common.events.envelope import EventEnvelope, event_type, new_event_id

pytestmark = pytest.mark.unit


def envelope(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(new_event_id()),
        "type": "clinic.records.patient.registered",
        "source": "records",
        "subject": str(uuid.uuid4()),
        "time": "2030-01-01T09:00:00+05:00",
        "sequence": 1,
        "data": {"patient_id": "x"},
    }
    data.update(over)
    return data


def test_valid_envelope_and_defaults() -> None:
    env = EventEnvelope.model_validate(envelope(orgid=str(uuid.uuid4()), unknown_extension="x"))
    assert env.specversion == "1.0"
    assert env.datacontenttype == "application/json"
    assert env.dataschemaversion == 1
    assert (env.producer, env.aggregate) == ("records", "patient")
    assert not hasattr(env, "unknown_extension")


@pytest.mark.parametrize(
    "type_",
    [
        "clinic.home_visits.home_visit.en_route",
        "clinic.billing.payment.captured",
        "clinic.a.b.c",
    ],
)
def test_type_pattern_accepts(type_: str) -> None:
    assert EventEnvelope.model_validate(envelope(type=type_)).type == type_


@pytest.mark.parametrize(
    "type_",
    [
        "clinic.records.patient",
        "clinic.records.patient.registered.extra",
        "records.patient.registered.x",
        "clinic.Records.patient.registered",
        "clinic.home-visits.home_visit.requested",
        "clinic.records.patient.registered\n",
        "clinic..patient.registered",
        "clinic.records.patient.registered2",
        " clinic.records.patient.registered",
        "",
    ],
)
def test_type_pattern_refuses(type_: str) -> None:
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate(envelope(type=type_))


@pytest.mark.parametrize("sequence", [0, -1])
def test_sequence_starts_at_one(sequence: int) -> None:
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate(envelope(sequence=sequence))
    assert EventEnvelope.model_validate(envelope(sequence=1)).sequence == 1


@pytest.mark.parametrize("field", ["id", "type", "source", "subject", "time", "sequence", "data"])
def test_required_fields(field: str) -> None:
    data = envelope()
    del data[field]
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate(data)


def test_specversion_is_pinned_and_envelope_frozen() -> None:
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate(envelope(specversion="0.3"))
    env = EventEnvelope.model_validate(envelope())
    with pytest.raises(ValidationError):
        env.sequence = 2  # type: ignore[misc]


def test_json_round_trip() -> None:
    env = EventEnvelope.model_validate(envelope())
    assert EventEnvelope.model_validate_json(env.model_dump_json()) == env


def test_new_event_id_is_uuid7_close_to_now() -> None:
    before = int(time.time() * 1000)
    eid = new_event_id()
    after = int(time.time() * 1000)
    assert isinstance(eid, uuid.UUID)
    assert eid.version == 7
    assert eid.variant == uuid.RFC_4122
    assert before <= eid.int >> 80 <= after  # 48-bit Unix milliseconds


def test_new_event_ids_are_unique_and_time_ordered() -> None:
    ids = [new_event_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    time.sleep(0.002)
    assert new_event_id() > ids[-1]


def test_event_type_uses_underscores_for_the_service() -> None:
    assert event_type("home-visits", "home_visit", "requested") == "clinic.home_visits.home_visit.requested"
    assert (
        EventEnvelope.model_validate(
            envelope(type=event_type("home-visits", "zone", "upserted"), time=datetime.now(UTC).isoformat())
        ).producer
        == "home_visits"
    )
