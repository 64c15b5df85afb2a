"""Settings of the billing service (env prefix BILLING_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from clinic_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", populate_by_name=True)

    service_name: str = "billing"
    port: int = 8002
    database_url: str = "postgresql://postgres@127.0.0.1:5432/billing"


@lru_cache
def get_settings() -> Settings:
    return Settings()
