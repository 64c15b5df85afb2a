"""Settings of the home-visits service (env prefix HOME_VISITS_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from clinic_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOME_VISITS_", extra="ignore", populate_by_name=True)

    service_name: str = "home_visits"
    port: int = 8004
    database_url: str = "postgresql://postgres@127.0.0.1:5432/home_visits"


@lru_cache
def get_settings() -> Settings:
    return Settings()
