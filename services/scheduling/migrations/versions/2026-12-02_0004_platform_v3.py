"""platform tables v3: handler failures counted by the consumer, parked-aggregate index

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

from clinic_common.db import platform_tables_v3

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    platform_tables_v3.upgrade()


def downgrade() -> None:
    platform_tables_v3.downgrade()
