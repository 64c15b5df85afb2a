"""The organization's policy values records decides with (*(policy)* in domain-rules.md).

Scheduling owns the policy (architecture.md § Who owns what) and sends every published version with
`organization.upserted`; records keeps them in its projection and reads the values it needs from
the version in force on the local date a rule decides for (ORG-3). A value the organization's
policy does not carry yet falls back to the default named here, with its source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from clinic_common.calendar import Country
from clinic_common.policy import policy_in_force

from records.organization.models import OrganizationProjection

DEFAULT_REMINDER_LEAD_MINUTES = (24 * 60, 2 * 60)
"""Visit reminders 24 h and 2 h before (issue 8), until the policy sets its own lead times."""

DEFAULT_DOCUMENT_DUE_WORKING_DAYS = {"copy": 3, "extract": 5, "certificate": 3}
"""REC-16 (P 9.5 names no term): working days to prepare a document, until the policy sets them."""


@dataclass(frozen=True)
class RecordsPolicy:
    country: Country
    time_zone: str
    personal_consent_age: int = 15  # REC-7, P 8.3
    personal_consent_age_drug_treatment: int = 16  # REC-7, P 8.3
    photo_video_consent_with_offer: bool = True  # REC-2, O 7.10.2
    medical_info_channels: tuple[str, ...] = ("in_person", "cabinet")  # REC-17
    offer_change_notice_working_days: int = 5  # ORG-3, O 15.1
    reminder_lead_minutes: tuple[int, ...] = DEFAULT_REMINDER_LEAD_MINUTES
    document_due_working_days: Mapping[str, int] | None = None

    def document_due_days(self, kind: str) -> int:
        table = {**DEFAULT_DOCUMENT_DUE_WORKING_DAYS, **(self.document_due_working_days or {})}
        return int(table.get(kind, max(DEFAULT_DOCUMENT_DUE_WORKING_DAYS.values())))


def _ints(value: Any, default: tuple[int, ...]) -> tuple[int, ...]:
    if isinstance(value, list | tuple) and value and all(isinstance(v, int) and v > 0 for v in value):
        return tuple(sorted(set(value), reverse=True))
    return default


def policy_of(org: OrganizationProjection, on: date) -> RecordsPolicy:
    """ORG-3: the values records uses, from the policy version in force on the local date `on`."""
    p: Mapping[str, Any] = policy_in_force(org.policy_versions or [], on, org.policy or {})
    base = RecordsPolicy(country=Country(org.country), time_zone=org.time_zone)
    channels = p.get("medical_info_channels")
    due = p.get("document_due_working_days")
    return RecordsPolicy(
        country=base.country,
        time_zone=base.time_zone,
        personal_consent_age=int(p.get("personal_consent_age", base.personal_consent_age)),
        personal_consent_age_drug_treatment=int(
            p.get("personal_consent_age_drug_treatment", base.personal_consent_age_drug_treatment)
        ),
        photo_video_consent_with_offer=bool(
            p.get("photo_video_consent_with_offer", base.photo_video_consent_with_offer)
        ),
        medical_info_channels=tuple(str(c) for c in channels)
        if isinstance(channels, list | tuple)
        else base.medical_info_channels,
        offer_change_notice_working_days=int(
            p.get("offer_change_notice_working_days", base.offer_change_notice_working_days)
        ),
        reminder_lead_minutes=_ints(p.get("reminder_lead_minutes"), base.reminder_lead_minutes),
        document_due_working_days={str(k): int(v) for k, v in due.items()} if isinstance(due, dict) else None,
    )
