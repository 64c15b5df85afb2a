"""Settings of the scheduling service (env prefix SCHEDULING_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from clinic_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULING_", extra="ignore", populate_by_name=True)

    service_name: str = "scheduling"
    port: int = 8001
    database_url: str = "postgresql://postgres@127.0.0.1:5432/scheduling"
    # SCH-7: how often the no-show sweep runs (on the business clock's view of "now").
    noshow_sweep_seconds: float = 60.0
    # SCH-14: the hall display's stream looks for changes this often, and lasts this long
    # before the browser reconnects.
    display_poll_seconds: float = 0.5
    display_stream_seconds: float = 300.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
