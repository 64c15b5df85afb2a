"""consents: the kinds and targets checked by the database (REC-2, REC-7, REC-9)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKS = {
    "ck_consents_kind": "kind IN ('personal_data', 'photo_video', 'disclosure', 'intervention')",
    "ck_consents_disclosure_target": "kind <> 'disclosure' OR to_person_id IS NOT NULL",
    "ck_consents_intervention_code": "kind <> 'intervention' OR intervention_code IS NOT NULL",
}


def upgrade() -> None:
    for name, condition in CHECKS.items():
        op.create_check_constraint(op.f(name), "consents", condition)


def downgrade() -> None:
    for name in CHECKS:
        op.drop_constraint(op.f(name), "consents", type_="check")
