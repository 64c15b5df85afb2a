"""Tables every service has: outbox, per-aggregate sequences, inbox, dead letters, idempotency keys.

They are plain Core tables attached to the service's own metadata, so each service's Alembic
history creates them in its own database and `alembic check` sees them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID


class PlatformTables:
    """The platform tables bound to one service's metadata."""

    def __init__(self, metadata: MetaData) -> None:
        self.metadata = metadata
        self.outbox = Table(
            "outbox",
            metadata,
            Column("position", BigInteger, Identity(always=True), primary_key=True),
            Column("id", UUID(as_uuid=True), nullable=False),
            Column("type", Text, nullable=False),
            Column("aggregate_type", Text, nullable=False),
            Column("aggregate_id", Text, nullable=False),
            Column("sequence", BigInteger, nullable=False),
            Column("envelope", JSONB, nullable=False),
            Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
            Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
            Column("published_at", DateTime(timezone=True)),
            UniqueConstraint("id"),
            UniqueConstraint("aggregate_type", "aggregate_id", "sequence"),
            Index("ix_outbox_unpublished", "position", postgresql_where=text("published_at IS NULL")),
        )
        self.aggregate_sequences = Table(
            "aggregate_sequences",
            metadata,
            Column("aggregate_type", Text, nullable=False),
            Column("aggregate_id", Text, nullable=False),
            Column("last_sequence", BigInteger, nullable=False),
            PrimaryKeyConstraint("aggregate_type", "aggregate_id"),
        )
        self.inbox = Table(
            "inbox",
            metadata,
            Column("event_id", UUID(as_uuid=True), primary_key=True),
            Column("type", Text, nullable=False),
            Column("source", Text, nullable=False),
            Column("received_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        )
        self.dead_letters = Table(
            "dead_letters",
            metadata,
            Column("id", UUID(as_uuid=True), primary_key=True),
            Column("event_id", UUID(as_uuid=True)),
            Column("stream", Text, nullable=False),
            Column("subject", Text, nullable=False),
            Column("type", Text),
            Column("payload", Text, nullable=False),
            Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
            Column("error", Text, nullable=False),
            Column("attempts", Integer, nullable=False),
            Column("status", Text, nullable=False, server_default=text("'parked'")),
            Column("parked_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
            Column("replayed_at", DateTime(timezone=True)),
            CheckConstraint("status IN ('parked', 'replayed')", name="status"),
        )
        self.idempotency_keys = Table(
            "idempotency_keys",
            metadata,
            Column("scope", Text, nullable=False),
            Column("key", Text, nullable=False),
            Column("fingerprint", Text, nullable=False),
            Column("state", Text, nullable=False),
            Column("lease_until", DateTime(timezone=True), nullable=False),
            Column("response_status", Integer),
            Column("response_body", JSONB),
            Column("response_headers", JSONB),
            Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
            Column("expires_at", DateTime(timezone=True), nullable=False),
            PrimaryKeyConstraint("scope", "key"),
            CheckConstraint("state IN ('running', 'completed')", name="state"),
            Index("ix_idempotency_keys_expires_at", "expires_at"),
        )
