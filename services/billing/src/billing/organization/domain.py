"""What billing reads of an organization's policy (ORG-1, ORG-3), with the presets' defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from clinic_common.calendar import Country, local_to_utc, to_local


@dataclass(frozen=True, slots=True)
class Band:
    """BIL-16 (policy): beyond the base zone up to `up_to_km` (inclusive), `percent` surcharge.

    Home-visits owns the bands and announces them in `zone.upserted`; billing keeps a projection."""

    up_to_km: float
    percent: int


@dataclass(frozen=True, slots=True)
class BillingPolicy:
    country: Country
    currency: str
    time_zone: str
    # BIL-4: additional services are paid within this many minutes of being received (O 4.7).
    extra_services_payment_minutes: int | None = 30
    payment_timing: str = "before_service"
    # BIL-10 (policy; O 8.13 allows a penalty without a figure): None means no penalty.
    late_payment_penalty_percent_per_day: Decimal | None = None

    @classmethod
    def of(cls, country: str, currency: str, time_zone: str, policy: Mapping[str, object]) -> BillingPolicy:
        minutes = policy.get("extra_services_payment_minutes", 30)
        penalty = policy.get("late_payment_penalty_percent_per_day")
        return cls(
            country=Country(country),
            currency=currency,
            time_zone=time_zone,
            extra_services_payment_minutes=int(minutes) if isinstance(minutes, int | str) else None,
            payment_timing=str(policy.get("payment_timing", "before_service")),
            late_payment_penalty_percent_per_day=Decimal(str(penalty)) if penalty is not None else None,
        )

    def end_of_day(self, instant: datetime) -> datetime:
        """BIL-4: paid on the day of the service (O 4.1) or the day rendered (P 12.2.5): the end of
        that local day."""
        day = to_local(instant, self.time_zone).date()
        return local_to_utc(day + timedelta(days=1), time(0, 0), self.time_zone)
