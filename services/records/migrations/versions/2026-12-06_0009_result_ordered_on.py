"""results: the date the examination was ordered or the sample taken (REC-18, O 3.7)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("results", sa.Column("ordered_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("results", "ordered_on")
