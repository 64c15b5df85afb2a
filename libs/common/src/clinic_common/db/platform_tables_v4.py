"""The platform tables, version 4: the `cabinet_access` projection every service gates patients on.

Every service has one migration that calls `upgrade()`. Like v1 to v3, this module never changes
once released; a later change gets a v5.
"""

import sqlalchemy as sa
from alembic import op


def upgrade() -> None:
    op.create_table(
        "cabinet_access",
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_cabinet_access")),
    )


def downgrade() -> None:
    op.drop_table("cabinet_access")
