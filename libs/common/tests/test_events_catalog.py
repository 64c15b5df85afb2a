"""The event catalogue: names, producers, tolerant payloads, README rendering, no duplicates."""

from __future__ import annotations

import re
import types
import typing
import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from clinic_common.events import payloads
from clinic_common.events.catalog import CATALOG, EventPayload, EventSpec, event, render_markdown, type_of
from clinic_common.events.envelope import EventEnvelope
from clinic_common.events.payloads.records import PatientRegistered
from clinic_common.events.payloads.scheduling import OrganizationUpserted

pytestmark = pytest.mark.unit

SERVICES = {"scheduling", "billing", "records", "home_visits"}
TYPE_RE = re.compile(r"^clinic\.(scheduling|billing|records|home_visits)\.[a-z_]+\.[a-z_]+$")

assert payloads  # every payload module is imported, so CATALOG is complete
SPECS = sorted(CATALOG.values(), key=lambda s: s.type_)


def test_catalog_is_not_empty_and_covers_every_producer() -> None:
    assert len(SPECS) > 10
    assert {s.producer for s in SPECS} == SERVICES


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type_)
def test_registered_type_is_well_formed(spec: EventSpec) -> None:
    assert TYPE_RE.match(spec.type_), spec.type_
    assert spec.producer in SERVICES
    assert spec.type_ == f"clinic.{spec.producer}.{spec.aggregate}.{spec.name}"
    assert CATALOG[spec.type_] is spec
    assert type_of(spec.payload) == spec.type_
    assert issubclass(spec.payload, EventPayload)
    assert set(spec.consumers) <= SERVICES - {spec.producer}, spec.consumers
    assert spec.description, f"{spec.payload.__name__} needs a docstring"
    # The type is valid in an envelope too.
    EventEnvelope(
        id=uuid.uuid4(), type=spec.type_, source=spec.producer, subject="s", time="2030-01-01T00:00:00Z",
        sequence=1, data={},
    )  # fmt: skip


def test_payload_classes_are_registered_once() -> None:
    models = [s.payload for s in SPECS]
    assert len(models) == len(set(models))


def _nested_models(annotation: Any) -> typing.Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for info in annotation.model_fields.values():
            yield from _nested_models(info.annotation)
        return
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            yield from _nested_models(arg)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type_)
def test_payload_and_nested_models_ignore_unknown_fields(spec: EventSpec) -> None:
    for model in _nested_models(spec.payload):
        assert model.model_config.get("extra", "ignore") == "ignore", model.__name__


def test_unknown_fields_are_dropped_at_every_level() -> None:
    org = uuid.uuid4()
    data = {
        "id": str(org),
        "name": "Org",
        "country": "KZ",
        "currency": "KZT",
        "time_zone": "Asia/Almaty",
        "future_field": {"x": 1},
        "branches": [
            {
                "id": str(uuid.uuid4()),
                "name": "Main",
                "address": "Street 1",
                "time_zone": "Asia/Almaty",
                "opening_hours": [{"weekday": 0, "opens": "08:00", "closes": "20:00", "new": True}],
                "new_branch_field": 5,
            }
        ],
    }
    parsed = OrganizationUpserted.model_validate(data)
    dumped = parsed.model_dump(mode="json")
    assert "future_field" not in dumped
    assert "new_branch_field" not in dumped["branches"][0]
    assert "new" not in dumped["branches"][0]["opening_hours"][0]

    patient = PatientRegistered.model_validate(
        {
            "patient_id": str(uuid.uuid4()),
            "organization_id": str(org),
            "last_name": "A",
            "first_name": "B",
            "birth_date": "1990-05-17",
            "phone": "+7 701 000 00 00",
            "address_text": "Almaty",
            "added_in_v2": "ignored",
        }
    )
    assert "added_in_v2" not in patient.model_dump()


def test_render_markdown_lists_every_type() -> None:
    md = render_markdown()
    lines = md.splitlines()
    assert lines[0].startswith("| event type |")
    assert len(lines) == 2 + len(CATALOG)
    for spec in SPECS:
        row = next(line for line in lines if line.startswith(f"| `{spec.type_}` |"))
        assert f"| {spec.producer} → " in row
        assert spec.description in row


def test_render_markdown_marks_optional_fields() -> None:
    row = next(
        line for line in render_markdown().splitlines() if "`clinic.records.patient.registered`" in line
    )
    assert "patient_id," in row or "patient_id |" in row
    assert "middle_name?" in row


def test_registering_a_duplicate_type_raises() -> None:
    spec = SPECS[0]
    before = dict(CATALOG)

    with pytest.raises(ValueError, match="registered twice"):

        @event(spec.producer, spec.aggregate, spec.name)
        class Again(EventPayload):
            """Duplicate."""

    assert before == CATALOG
    assert type_of(spec.payload) == spec.type_


def test_registering_a_new_type_records_it() -> None:
    try:

        @event("home-visits", "test_probe", "fired", consumers=("records",))
        class ProbeFired(EventPayload):
            """A probe for the test.

            More text that is not the description.
            """

            x: int

        spec = CATALOG["clinic.home_visits.test_probe.fired"]
        assert (spec.producer, spec.payload, spec.consumers) == ("home-visits", ProbeFired, ("records",))
        assert spec.description == "A probe for the test."
        assert type_of(ProbeFired) == "clinic.home_visits.test_probe.fired"
    finally:
        CATALOG.pop("clinic.home_visits.test_probe.fired", None)
