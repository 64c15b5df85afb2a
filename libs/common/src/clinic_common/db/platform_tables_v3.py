"""The platform tables, version 3: handler failures counted by the consumer, parked-aggregate index.

Every service has one migration that calls `upgrade()`. Like v1 and v2, this module never changes
once released; a later change gets a v4.
"""

import sqlalchemy as sa
from alembic import op


def upgrade() -> None:
    op.create_table(
        "event_failures",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column(
            "last_failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_failures")),
    )
    op.create_index("ix_event_failures_last_failed_at", "event_failures", ["last_failed_at"], unique=False)
    op.create_index(
        "ix_outbox_dead_letters_aggregate",
        "outbox_dead_letters",
        ["aggregate_type", "aggregate_id"],
        unique=False,
        postgresql_where=sa.text("status = 'parked'"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_dead_letters_aggregate", table_name="outbox_dead_letters")
    op.drop_index("ix_event_failures_last_failed_at", table_name="event_failures")
    op.drop_table("event_failures")
