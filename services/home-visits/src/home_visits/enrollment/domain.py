"""What an enrolment means for home care (HV-2, HV-8, BIL-12, BIL-14) as plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Enrollment:
    id: UUID
    organization_id: UUID
    patient_id: UUID
    starts_on: date
    ends_on: date
    urgent_home_care: bool
    status: str  # active, suspended, ended

    def in_force_on(self, day: date) -> bool:
        """The program serves on this day: active, and the day inside its period (BIL-14)."""
        return self.status == "active" and self.starts_on <= day <= self.ends_on
