"""person_links: who revoked a link and why; withholdings: who lifted one and why (REC-5)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVOCATION_REASONS = "'patient_application', 'authority_ended', 'document_expired', 'error'"


def upgrade() -> None:
    op.add_column("person_links", sa.Column("revoked_by", sa.Text(), nullable=True))
    op.add_column("person_links", sa.Column("revocation_reason", sa.Text(), nullable=True))
    op.add_column("person_links", sa.Column("revocation_note", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_person_links_revocation_reason"),
        "person_links",
        f"revocation_reason IS NULL OR revocation_reason IN ({REVOCATION_REASONS})",
    )
    op.add_column("withholdings", sa.Column("lifted_by", sa.Text(), nullable=True))
    op.add_column("withholdings", sa.Column("lift_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("withholdings", "lift_reason")
    op.drop_column("withholdings", "lifted_by")
    op.drop_constraint(op.f("ck_person_links_revocation_reason"), "person_links", type_="check")
    op.drop_column("person_links", "revocation_note")
    op.drop_column("person_links", "revocation_reason")
    op.drop_column("person_links", "revoked_by")
