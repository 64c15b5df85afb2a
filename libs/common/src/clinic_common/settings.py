"""Settings every service shares (prefix CLINIC_) plus the service's own (prefix <SERVICE>_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _common(name: str) -> AliasChoices:
    return AliasChoices(f"CLINIC_{name}")


class ServiceSettings(BaseSettings):
    """Base for each service's settings class; subclasses set `env_prefix` to e.g. "BILLING_"."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "service"
    database_url: str = Field(default="postgresql://postgres@127.0.0.1:5432/postgres")
    port: int = 8000
    db_pool_size: int = 10

    # Production unless told otherwise: only the dev stack (CLINIC_ENV=development) and the tests
    # (env="test") open `/_dev/clock` and accept the development issuer and key.
    env: Literal["development", "test", "production"] = Field(
        default="production", validation_alias=_common("ENV")
    )
    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias=_common("NATS_URL"))
    jwt_issuer: str = Field(default="clinic-dev", validation_alias=_common("JWT_ISSUER"))
    jwt_audience: str = Field(default="clinic", validation_alias=_common("JWT_AUDIENCE"))
    jwt_public_key_file: Path | None = Field(default=None, validation_alias=_common("JWT_PUBLIC_KEY_FILE"))
    jwt_public_key: str | None = Field(default=None, validation_alias=_common("JWT_PUBLIC_KEY"))
    jwt_jwks_url: str | None = Field(default=None, validation_alias=_common("JWT_JWKS_URL"))
    clock_file: Path | None = Field(default=None, validation_alias=_common("CLOCK_FILE"))
    clock_start: str | None = Field(default=None, validation_alias=_common("CLOCK_START"))
    log_level: str = Field(default="INFO", validation_alias=_common("LOG_LEVEL"))
    cors_origins: list[str] = Field(default_factory=list, validation_alias=_common("CORS_ORIGINS"))
    max_body_bytes: int = Field(default=1_048_576, validation_alias=_common("MAX_BODY_BYTES"))
    run_workers: bool = Field(default=True, validation_alias=_common("RUN_WORKERS"))
    consumer_max_deliver: int = Field(default=5, validation_alias=_common("CONSUMER_MAX_DELIVER"))
    consumer_backoff_seconds: list[float] = Field(
        default_factory=lambda: [1.0, 5.0, 30.0, 120.0], validation_alias=_common("CONSUMER_BACKOFF_SECONDS")
    )
    consumer_ack_wait_seconds: float = Field(
        default=30.0, validation_alias=_common("CONSUMER_ACK_WAIT_SECONDS")
    )
    stream_replicas: int = Field(default=1, validation_alias=_common("STREAM_REPLICAS"))
    relay_poll_interval_seconds: float = Field(
        default=2.0, gt=0, validation_alias=_common("RELAY_POLL_INTERVAL_SECONDS")
    )
    # Purge of technical tables (architecture.md, Retention): sent outbox rows, inbox ids,
    # handler-failure counts, expired idempotency keys; batched, one replica at a time.
    purge_interval_seconds: float = Field(
        default=300.0, gt=0, validation_alias=_common("PURGE_INTERVAL_SECONDS")
    )
    purge_batch_size: int = Field(default=1000, ge=1, validation_alias=_common("PURGE_BATCH_SIZE"))
    outbox_retention_seconds: float = Field(
        default=3 * 86400.0, ge=0, validation_alias=_common("OUTBOX_RETENTION_SECONDS")
    )
    inbox_retention_seconds: float = Field(
        default=7 * 86400.0, ge=0, validation_alias=_common("INBOX_RETENTION_SECONDS")
    )
    idempotency_purge_grace_seconds: float = Field(
        default=3600.0, ge=0, validation_alias=_common("IDEMPOTENCY_PURGE_GRACE_SECONDS")
    )
    idempotency_lease_seconds: float = Field(
        default=30.0, validation_alias=_common("IDEMPOTENCY_LEASE_SECONDS")
    )
    # How often a running request renews its key's lease; empty means a third of the lease.
    idempotency_heartbeat_seconds: float | None = Field(
        default=None, gt=0, validation_alias=_common("IDEMPOTENCY_HEARTBEAT_SECONDS")
    )
    # The delivery worker (clinic_common.deliveries): SMS, WhatsApp, fiscal receipts.
    delivery_poll_seconds: float = Field(default=1.0, gt=0, validation_alias=_common("DELIVERY_POLL_SECONDS"))
    delivery_lease_seconds: float = Field(
        default=60.0, gt=0, validation_alias=_common("DELIVERY_LEASE_SECONDS")
    )
    delivery_provider_timeout_seconds: float = Field(
        default=15.0, gt=0, validation_alias=_common("DELIVERY_PROVIDER_TIMEOUT_SECONDS")
    )
    delivery_max_attempts: int = Field(default=8, ge=1, validation_alias=_common("DELIVERY_MAX_ATTEMPTS"))
    delivery_backoff_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0],
        validation_alias=_common("DELIVERY_BACKOFF_SECONDS"),
    )
    delivery_batch_size: int = Field(default=20, ge=1, validation_alias=_common("DELIVERY_BATCH_SIZE"))
    # Channel -> JSON gateway URL ({"sms": "https://..."}); channels without one are recorded only.
    delivery_http_urls: dict[str, str] = Field(
        default_factory=dict, validation_alias=_common("DELIVERY_HTTP_URLS")
    )

    @model_validator(mode="after")
    def _production_refuses_dev_clock(self) -> ServiceSettings:
        # The development clock must never move business time in production.
        if self.env == "production" and (self.clock_file or self.clock_start):
            raise ValueError("CLINIC_CLOCK_FILE / CLINIC_CLOCK_START are refused in production")
        # The token settings (a key source, no dev issuer or key) are checked when a process builds
        # its verifier (clinic_common.auth.production), so `cli migrate` runs without JWT keys.
        return self

    @model_validator(mode="after")
    def _delivery_lease_outlasts_provider_call(self) -> ServiceSettings:
        # A lease shorter than the call would let a second worker send the same row meanwhile.
        if self.delivery_lease_seconds <= self.delivery_provider_timeout_seconds:
            raise ValueError(
                "CLINIC_DELIVERY_LEASE_SECONDS must exceed CLINIC_DELIVERY_PROVIDER_TIMEOUT_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _retention_outlives_redelivery(self) -> ServiceSettings:
        # An inbox id purged while JetStream may still redeliver its event would let it apply
        # twice: keep ids a day at least in production (tests shorten the windows).
        if self.env == "production" and self.inbox_retention_seconds < 86400:
            raise ValueError("CLINIC_INBOX_RETENTION_SECONDS must be at least 86400 in production")
        return self

    @property
    def dev_mode(self) -> bool:
        return self.env != "production"

    @property
    def async_database_url(self) -> str:
        return to_asyncpg_url(self.database_url)


def to_asyncpg_url(url: str) -> str:
    """Accept postgresql:// URLs (with ?host=<socket dir>&port=) and use the asyncpg driver."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme in {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"}:
        scheme = "postgresql+asyncpg"
    query = parse_qsl(parts.query, keep_blank_values=True)  # repeated keys (multi-host) survive
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def with_database(url: str, dbname: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))
