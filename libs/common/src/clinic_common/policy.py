"""The organization's policy in force on a date, for the services that consume it (ORG-3).

Scheduling owns the policy and announces every published version in `organization.upserted`
(`policy_versions`, each `PolicyVersionData` stored as JSON). `policy` there is only the version in
force when the event was written, so a version announced ahead of time would never take effect in a
consumer that read it; consumers keep the versions and ask this module on the local date a rule
decides for. (Not to be confused with `clinic_common.auth.policy`, who may do what.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def policy_in_force(
    versions: Iterable[Mapping[str, Any]], on: date, current: Mapping[str, Any]
) -> dict[str, Any]:
    """ORG-3: the policy of the latest version that took effect on or before `on` (a local date).

    Before the first version took effect the earliest one applies, as scheduling itself answers;
    with no versions at all (an organization announced before versions were published) `current`,
    the event's `policy`, does.
    """
    latest: tuple[date, Mapping[str, Any]] | None = None
    earliest: tuple[date, Mapping[str, Any]] | None = None
    for version in versions:
        starts = _day(version["effective_from"])
        policy = version.get("policy") or {}
        if starts <= on and (latest is None or starts > latest[0]):
            latest = (starts, policy)
        if earliest is None or starts < earliest[0]:
            earliest = (starts, policy)
    chosen = latest or earliest
    return dict(chosen[1] if chosen is not None else current)
