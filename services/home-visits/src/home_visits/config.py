"""Settings of the home-visits service (env prefix HOME_VISITS_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from clinic_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOME_VISITS_", extra="ignore", populate_by_name=True)

    service_name: str = "home_visits"
    port: int = 8004
    database_url: str = "postgresql://postgres@127.0.0.1:5432/home_visits"
    # The coverage shown with a new home visit comes from billing (architecture.md: the one
    # synchronous call, with a timeout and a degraded answer). Empty: not asked, local answer only.
    billing_url: str | None = "http://127.0.0.1:8002"
    billing_timeout_seconds: float = Field(default=2.0, gt=0)
    # HV-9 dispatch: travel time is the geodesic distance at this speed (city traffic, door to
    # door); a visit takes `visit_minutes` at the address (billing's catalogue: 40 minutes).
    travel_speed_kmh: float = Field(default=25.0, gt=0, le=200)
    visit_minutes: int = Field(default=40, ge=1, le=480)
    dispatch_threads: int = Field(default=1, ge=1, le=16)
    # HV-10: how often (wall clock) the sweep looks for reports past their acknowledgement deadline
    # (the deadline itself is business time, from the organization's policy).
    deterioration_sweep_seconds: float = Field(default=15.0, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
