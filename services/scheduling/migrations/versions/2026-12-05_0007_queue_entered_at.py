"""queue entries: when the called patient entered the room (SCH-14, status in_room)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("queue_entries", sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("queue_entries", "entered_at")
