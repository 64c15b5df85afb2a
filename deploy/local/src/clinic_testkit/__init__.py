"""Test kit for the clinic monorepo: one PostgreSQL and one NATS per test run, databases cloned
from migrated templates, dev keys and tokens. Loaded by pytest with `-p clinic_testkit.plugin`."""

from clinic_testkit.databases import DatabaseFactory, TemplateCache
from clinic_testkit.servers import ExternalNats, NatsFactory, NatsServer

__all__ = ["DatabaseFactory", "ExternalNats", "NatsFactory", "NatsServer", "TemplateCache"]
