"""The organization's home-visit policy as the rules read it (ORG-3, HV-3, HV-10).

Scheduling owns the policy and publishes every version with `organization.upserted`; this service
keeps the versions and reads the one in force on a local date (`clinic_common.policy`). Values
missing from a version take the P preset's (P 7.4: 13:00 on working days, 12:00 on weekends and
holidays).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from clinic_common.calendar import Country, OpeningHours, OpeningInterval


@dataclass(frozen=True, slots=True)
class HomeVisitPolicy:
    """HV-3: same-day cutoffs and intake hours; HV-10: minutes the attending doctor has to
    acknowledge a deterioration report. `intake_hours` None: requests are taken around the clock."""

    cutoff_working_day: time = time(13, 0)
    cutoff_day_off: time = time(12, 0)
    intake_hours: OpeningHours | None = None
    deterioration_ack_minutes: int = 30

    def takes_requests_at(self, local: datetime) -> bool:
        """HV-3 (P 11.3): planned requests are taken in the intake hours."""
        return self.intake_hours is None or self.intake_hours.is_open(local)


def _time(value: Any, default: time) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        return time.fromisoformat(value)
    return default


def _intake(value: Any) -> OpeningHours | None:
    if not value:
        return None
    days: dict[int, list[OpeningInterval]] = {}
    for item in value:
        days.setdefault(int(item["weekday"]), []).append(
            OpeningInterval(open=_time(item["opens"], time(0)), close=_time(item["closes"], time(23, 59)))
        )
    return OpeningHours(days={d: tuple(v) for d, v in days.items()})


def parse_policy(policy: Mapping[str, Any]) -> HomeVisitPolicy:
    default = HomeVisitPolicy()
    return HomeVisitPolicy(
        cutoff_working_day=_time(policy.get("home_visit_cutoff_working_day"), default.cutoff_working_day),
        cutoff_day_off=_time(policy.get("home_visit_cutoff_day_off"), default.cutoff_day_off),
        intake_hours=_intake(policy.get("home_visit_intake_hours")),
        deterioration_ack_minutes=int(
            policy.get("deterioration_ack_minutes") or default.deterioration_ack_minutes
        ),
    )


def country_of(code: str) -> Country:
    return Country(code)
