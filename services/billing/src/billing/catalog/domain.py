"""Catalogue rules as plain Python: what a price list item makes of a catalogue service (SCH-2)."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common.errors import AppError

# SCH-2 (policy; O 3.7): a visit lasts 15 to 40 minutes. The preset of both source documents; an
# organization's own bounds are passed in where its policy sets them.
VISIT_MINUTES_MIN = 15
VISIT_MINUTES_MAX = 40


class DurationOutOfRange(AppError):
    status = 422
    code = "duration_out_of_range"
    title = "A visit lasts between the organization's minimum and maximum length"
    rule = "SCH-2"


class ServiceDurationRequired(AppError):
    status = 422
    code = "service_duration_required"
    title = "A service new to the catalogue needs its duration_minutes"
    rule = "SCH-2"


@dataclass(frozen=True, slots=True)
class ServiceTerms:
    """What the catalogue holds of one service; equal terms mean nothing to announce."""

    code: str
    name: str
    duration_minutes: int
    category: str
    requires_referral: bool
    preventive: bool
    state_order: bool
    active: bool = True
    national_code: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceDraft:
    """What a price list item says of a service; None keeps the catalogue's current value."""

    code: str
    name: str
    category: str
    preventive: bool
    state_order: bool
    duration_minutes: int | None = None
    requires_referral: bool | None = None
    national_code: str | None = None


def check_duration(
    code: str, minutes: int, *, minimum: int = VISIT_MINUTES_MIN, maximum: int = VISIT_MINUTES_MAX
) -> None:
    """SCH-2: the length of a visit is within the organization's bounds."""
    if not minimum <= minutes <= maximum:
        raise DurationOutOfRange(
            f"{code}: {minutes} minutes is outside {minimum}-{maximum}",
            service_code=code,
            minimum=minimum,
            maximum=maximum,
        )


def merge_service(existing: ServiceTerms | None, draft: ServiceDraft) -> ServiceTerms:
    """The catalogue terms after a price list lists the service: listed means active; a duration or
    referral flag left out keeps the catalogue's, and a new service must state its duration (SCH-2)."""
    duration = draft.duration_minutes
    if duration is None:
        if existing is None:
            raise ServiceDurationRequired(f"{draft.code} is new to the catalogue", service_code=draft.code)
        duration = existing.duration_minutes
    requires_referral = draft.requires_referral
    if requires_referral is None:
        requires_referral = existing.requires_referral if existing is not None else False
    return ServiceTerms(
        code=draft.code,
        name=draft.name,
        duration_minutes=duration,
        category=draft.category,
        requires_referral=requires_referral,
        preventive=draft.preventive,
        state_order=draft.state_order,
        active=True,
        national_code=draft.national_code
        if draft.national_code is not None
        else (existing.national_code if existing else None),
    )
