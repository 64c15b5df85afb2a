"""platform tables v4: the cabinet_access projection (REC-19 gate)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

from clinic_common.db import platform_tables_v4

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    platform_tables_v4.upgrade()


def downgrade() -> None:
    platform_tables_v4.downgrade()
