"""Tables every service has: outbox and its parked rows, per-aggregate sequences, inbox, handler
failures, dead letters, idempotency keys, and deliveries (side effects outside the database, sent
after commit).

They are plain Core tables attached to the service's own metadata, so each service's Alembic
history creates them in its own database and `alembic check` sees them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
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
            Index(
                "ix_outbox_published_at", "published_at", postgresql_where=text("published_at IS NOT NULL")
            ),
        )
        # Outbox rows the relay could not publish (e.g. over the server's max_payload): parked here
        # so the relay carries on; listed and replayed (moved back into the outbox) by an admin.
        self.outbox_dead_letters = Table(
            "outbox_dead_letters",
            metadata,
            Column("id", UUID(as_uuid=True), primary_key=True),
            Column("event_id", UUID(as_uuid=True), nullable=False),
            Column("outbox_position", BigInteger, nullable=False),
            Column("type", Text, nullable=False),
            Column("aggregate_type", Text, nullable=False),
            Column("aggregate_id", Text, nullable=False),
            Column("sequence", BigInteger, nullable=False),
            Column("envelope", JSONB, nullable=False),
            Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
            Column("error", Text, nullable=False),
            Column("status", Text, nullable=False, server_default=text("'parked'")),
            Column("parked_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
            Column("replayed_at", DateTime(timezone=True)),
            CheckConstraint("status IN ('parked', 'replayed')", name="status"),
            Index("ix_outbox_dead_letters_status", "status"),
            # The relay holds back later rows of an aggregate that has a parked row (order).
            Index(
                "ix_outbox_dead_letters_aggregate",
                "aggregate_type",
                "aggregate_id",
                postgresql_where=text("status = 'parked'"),
            ),
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
            Index("ix_inbox_received_at", "received_at"),
        )
        # Real handler failures of an event not yet handled, counted by the consumer itself: a
        # redelivery after a crash, a NATS outage or our own database being away is no attempt.
        self.event_failures = Table(
            "event_failures",
            metadata,
            Column("event_id", UUID(as_uuid=True), primary_key=True),
            Column("type", Text, nullable=False),
            Column("failures", Integer, nullable=False),
            Column("last_error", Text, nullable=False),
            Column("last_failed_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
            Index("ix_event_failures_last_failed_at", "last_failed_at"),
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
            # The claim's owner token: only the current owner of a running key may complete it.
            Column("owner", UUID(as_uuid=True)),
            Column("response_status", Integer),
            Column("response_body", JSONB),
            Column("response_headers", JSONB),
            Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
            Column("expires_at", DateTime(timezone=True), nullable=False),
            PrimaryKeyConstraint("scope", "key"),
            CheckConstraint("state IN ('running', 'completed')", name="state"),
            Index("ix_idempotency_keys_expires_at", "expires_at"),
        )
        # REC-19: whether a patient's personal cabinet is open. Records owns the fact (granted in person
        # at the registry, restricted by the organization) and announces it; every service keeps this
        # projection so patient tokens are refused where the cabinet is not open.
        self.cabinet_access = Table(
            "cabinet_access",
            metadata,
            Column("patient_id", UUID(as_uuid=True), primary_key=True),
            Column("organization_id", UUID(as_uuid=True), nullable=False),
            Column("granted", Boolean, nullable=False),
            Column("restricted", Boolean, nullable=False),
            Column("changed_at", DateTime(timezone=True), nullable=False),
            Column("source_sequence", BigInteger, nullable=False),
        )
        # Side effects outside the system (SMS, WhatsApp, fiscal receipts): a row written in the
        # same transaction as the state change, sent afterwards by a worker with retries and an
        # idempotency key towards the provider, its outcome stored (architecture.md § Events).
        self.deliveries = Table(
            "deliveries",
            metadata,
            Column("id", UUID(as_uuid=True), primary_key=True),
            Column("channel", Text, nullable=False),
            Column("idempotency_key", Text, nullable=False),
            Column("recipient", Text),
            Column("payload", JSONB, nullable=False),
            Column("ref_type", Text),
            Column("ref_id", Text),
            Column("status", Text, nullable=False, server_default=text("'pending'")),
            Column("attempts", Integer, nullable=False, server_default=text("0")),
            Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
            Column("lease_until", DateTime(timezone=True)),
            Column("provider", Text),
            Column("last_error", Text),
            Column("outcome", JSONB),
            Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
            Column("sent_at", DateTime(timezone=True)),
            UniqueConstraint("idempotency_key"),
            CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
            Index("ix_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
            Index("ix_deliveries_ref", "ref_type", "ref_id"),
        )
