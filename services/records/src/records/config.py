"""Settings of the records service (env prefix RECORDS_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from clinic_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RECORDS_", extra="ignore", populate_by_name=True)

    service_name: str = "records"
    port: int = 8003
    database_url: str = "postgresql://postgres@127.0.0.1:5432/records"
    # How often the reminder scheduler looks for reminders due on the business clock.
    reminder_poll_seconds: float = 1.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
