"""Local development stack: embedded PostgreSQL and NATS from wheels, the four services, dev tokens.

Exists so that `make run` and `make test` work on a fresh machine without any server installed,
and never touch servers that already run on the machine (system PostgreSQL on 5432, NATS on 4222).
"""

from clinic_devstack.nats import EmbeddedNats
from clinic_devstack.ports import free_port
from clinic_devstack.postgres import EmbeddedPostgres, ExternalPostgres, PgServer

__all__ = ["EmbeddedNats", "EmbeddedPostgres", "ExternalPostgres", "PgServer", "free_port"]
