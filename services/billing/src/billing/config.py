"""Settings of the billing service (env prefix BILLING_)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import SettingsConfigDict

from clinic_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", populate_by_name=True)

    service_name: str = "billing"
    port: int = 8002
    database_url: str = "postgresql://postgres@127.0.0.1:5432/billing"
    # BIL-4/BIL-10: how often the sweep opens debts past their term and ends programs past their period.
    sweep_interval_seconds: float = 30.0
    # Fiscal registers per country (architecture.md § Fiscal receipts); `recording` records without sending.
    fiscal_register_ru: Literal["recording", "atol"] = "recording"
    fiscal_register_kz: Literal["recording"] = "recording"
    atol_url: str = "https://online.atol.ru/possystem/v5"
    atol_login: str = ""
    atol_password: str = ""
    atol_group_code: str = ""
    atol_company_inn: str = ""
    atol_company_email: str = ""
    atol_payment_address: str = ""
    atol_sno: str = "osn"
    atol_timeout_seconds: float = 10.0
    atol_report_polls: int = 5
    atol_report_interval_seconds: float = 0.5


@lru_cache
def get_settings() -> Settings:
    return Settings()
