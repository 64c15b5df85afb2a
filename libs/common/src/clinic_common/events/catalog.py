"""The event catalogue: every event type with its payload model, producer and consumers.

Producers and consumers validate the same shapes; the README's catalogue is rendered from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from clinic_common.events.envelope import event_type


class EventPayload(BaseModel):
    """Payloads ignore fields they do not know, so producers can add fields without breaking consumers."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class EventSpec:
    type_: str
    producer: str
    aggregate: str
    name: str
    payload: type[EventPayload]
    consumers: tuple[str, ...]
    description: str


CATALOG: dict[str, EventSpec] = {}

T = TypeVar("T", bound=type[EventPayload])


def event(producer: str, aggregate: str, name: str, *, consumers: tuple[str, ...] = ()) -> Callable[[T], T]:
    """Register a payload model under `clinic.<producer>.<aggregate>.<name>`."""

    def register(model: T) -> T:
        type_ = event_type(producer, aggregate, name)
        if type_ in CATALOG:
            raise ValueError(f"event type {type_} registered twice")
        doc = (model.__doc__ or "").strip().splitlines()
        CATALOG[type_] = EventSpec(
            type_=type_,
            producer=producer,
            aggregate=aggregate,
            name=name,
            payload=model,
            consumers=consumers,
            description=doc[0] if doc else "",
        )
        model.event_type = type_  # type: ignore[attr-defined]
        return model

    return register


def type_of(model: type[EventPayload]) -> str:
    return str(model.event_type)  # type: ignore[attr-defined]


def render_markdown() -> str:
    """The catalogue as a Markdown table for the README."""
    # Import every payload module so the catalogue is complete.
    from clinic_common.events import payloads  # noqa: F401

    lines = ["| event type | producer → consumers | data fields | what it means |", "|---|---|---|---|"]
    for spec in sorted(CATALOG.values(), key=lambda s: s.type_):
        fields = []
        for name, info in spec.payload.model_fields.items():
            fields.append(name if info.is_required() else f"{name}?")
        consumers = ", ".join(spec.consumers) or "—"
        lines.append(
            f"| `{spec.type_}` | {spec.producer} → {consumers} | {', '.join(fields)} | {spec.description} |"
        )
    return "\n".join(lines)
