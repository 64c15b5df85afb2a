"""the patient's attending practitioner per organization and its history (SCH-15)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attending_practitioners",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_attending_practitioners_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_attending_practitioners_practitioner_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("organization_id", "patient_id", name=op.f("pk_attending_practitioners")),
    )
    op.create_table(
        "attending_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=False),
        sa.Column("previous_practitioner_id", sa.Uuid(), nullable=True),
        sa.Column("capacity", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("chosen_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "capacity IN ('patient', 'personal_manager', 'organization')",
            name=op.f("ck_attending_changes_capacity"),
        ),
        sa.CheckConstraint(
            "capacity <> 'organization' OR reason IS NOT NULL",
            name=op.f("ck_attending_changes_organization_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_attending_changes_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_attending_changes_practitioner_id_practitioners"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_attending_changes_previous_practitioner_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attending_changes")),
        sa.UniqueConstraint(
            "patient_id",
            "organization_id",
            "version",
            name=op.f("uq_attending_changes_patient_id_organization_id_version"),
        ),
    )


def downgrade() -> None:
    op.drop_table("attending_changes")
    op.drop_table("attending_practitioners")
