"""organizations: every published policy version, so records reads the one in force on a date (ORG-3)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows learned before keep `policy` as their only version until scheduling announces them again.
    op.add_column(
        "organizations",
        sa.Column(
            "policy_versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("organizations", "policy_versions")
