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


@lru_cache
def get_settings() -> Settings:
    return Settings()
