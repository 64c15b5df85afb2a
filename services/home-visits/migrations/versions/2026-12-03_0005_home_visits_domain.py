"""home visits domain: visits, dispatch plans, program addresses and supplementary agreements,
deterioration reports, the enrolment projection, policy versions and shift details

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deterioration_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.Text(), nullable=False),
        sa.Column("acknowledge_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_reason", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'escalated', 'acknowledged')", name=op.f("ck_deterioration_reports_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deterioration_reports")),
    )
    op.create_index(
        "ix_deterioration_reports_open_deadline",
        "deterioration_reports",
        ["acknowledge_by"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        op.f("ix_deterioration_reports_organization_id"),
        "deterioration_reports",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deterioration_reports_patient_id"), "deterioration_reports", ["patient_id"], unique=False
    )
    op.create_index(
        op.f("ix_deterioration_reports_practitioner_id"),
        "deterioration_reports",
        ["practitioner_id"],
        unique=False,
    )
    op.create_table(
        "dispatch_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_distance_km", sa.Float(), nullable=False),
        sa.Column("routes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("unassigned", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_plans")),
        sa.UniqueConstraint("branch_id", "date", name="uq_dispatch_plans_branch_id_date"),
    )
    op.create_table(
        "enrollments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("urgent_home_care", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("source_sequence", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended', 'ended')", name=op.f("ck_enrollments_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
    )
    op.create_index(op.f("ix_enrollments_organization_id"), "enrollments", ["organization_id"], unique=False)
    op.create_index(op.f("ix_enrollments_patient_id"), "enrollments", ["patient_id"], unique=False)
    op.create_table(
        "home_visits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=False),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("address_text", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("program_address_id", sa.Uuid(), nullable=True),
        sa.Column("window_start", sa.Time(), nullable=True),
        sa.Column("window_end", sa.Time(), nullable=True),
        sa.Column("indications", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("inside_base_zone", sa.Boolean(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("band_upper_km", sa.Float(), nullable=True),
        sa.Column("surcharge_percent", sa.Integer(), nullable=True),
        sa.Column("coverage", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=True),
        sa.Column("route_position", sa.Integer(), nullable=True),
        sa.Column("planned_arrival", sa.DateTime(timezone=True), nullable=True),
        sa.Column("en_route_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("false_call_reason", sa.Text(), nullable=True),
        sa.Column("false_call_waived", sa.Boolean(), nullable=True),
        sa.Column("samples_not_ready", sa.Boolean(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("postponed_from_id", sa.Uuid(), nullable=True),
        sa.Column("next_visit_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('planned', 'urgent')", name=op.f("ck_home_visits_kind")),
        sa.CheckConstraint(
            "status IN ('requested', 'scheduled', 'assigned', 'en_route', 'arrived', 'completed', 'false_call', 'postponed', 'cancelled')",
            name=op.f("ck_home_visits_status"),
        ),
        sa.CheckConstraint(
            "(window_start IS NULL) = (window_end IS NULL)", name=op.f("ck_home_visits_window_pair")
        ),
        sa.CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name=op.f("ck_home_visits_coordinates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_visits")),
        sa.UniqueConstraint(
            "practitioner_id",
            "scheduled_for",
            "route_position",
            deferrable=True,
            initially="DEFERRED",
            name="uq_home_visits_route_position",
        ),
    )
    op.create_index(
        "ix_home_visits_branch_id_scheduled_for", "home_visits", ["branch_id", "scheduled_for"], unique=False
    )
    op.create_index(op.f("ix_home_visits_organization_id"), "home_visits", ["organization_id"], unique=False)
    op.create_index(op.f("ix_home_visits_patient_id"), "home_visits", ["patient_id"], unique=False)
    op.create_index(op.f("ix_home_visits_practitioner_id"), "home_visits", ["practitioner_id"], unique=False)
    op.create_table(
        "program_addresses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("window_start", sa.Time(), nullable=False),
        sa.Column("window_end", sa.Time(), nullable=False),
        sa.Column("band_upper_km", sa.Float(), nullable=True),
        sa.Column("surcharge_percent", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("agreement_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from < valid_to", name=op.f("ck_program_addresses_validity")
        ),
        sa.CheckConstraint("window_start < window_end", name=op.f("ck_program_addresses_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_addresses")),
    )
    op.create_index(
        op.f("ix_program_addresses_enrollment_id"), "program_addresses", ["enrollment_id"], unique=False
    )
    op.create_table(
        "supplementary_agreements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sa.Text(), nullable=False),
        sa.Column("old_band_km", sa.Float(), nullable=True),
        sa.Column("new_band_km", sa.Float(), nullable=True),
        sa.Column("old_surcharge_percent", sa.Integer(), nullable=True),
        sa.Column("new_surcharge_percent", sa.Integer(), nullable=True),
        sa.Column("terms", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplementary_agreements")),
        sa.UniqueConstraint("enrollment_id", name="uq_supplementary_agreements_enrollment_id"),
    )
    op.add_column(
        "organizations",
        sa.Column(
            "policy",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "organizations",
        sa.Column(
            "policy_versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "shifts",
        sa.Column("works_on_holidays", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("shifts", sa.Column("time_zone", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("shifts", "time_zone")
    op.drop_column("shifts", "works_on_holidays")
    op.drop_column("organizations", "policy_versions")
    op.drop_column("organizations", "policy")
    op.drop_table("supplementary_agreements")
    op.drop_index(op.f("ix_program_addresses_enrollment_id"), table_name="program_addresses")
    op.drop_table("program_addresses")
    op.drop_index(op.f("ix_home_visits_practitioner_id"), table_name="home_visits")
    op.drop_index(op.f("ix_home_visits_patient_id"), table_name="home_visits")
    op.drop_index(op.f("ix_home_visits_organization_id"), table_name="home_visits")
    op.drop_index("ix_home_visits_branch_id_scheduled_for", table_name="home_visits")
    op.drop_table("home_visits")
    op.drop_index(op.f("ix_enrollments_patient_id"), table_name="enrollments")
    op.drop_index(op.f("ix_enrollments_organization_id"), table_name="enrollments")
    op.drop_table("enrollments")
    op.drop_table("dispatch_plans")
    op.drop_index(op.f("ix_deterioration_reports_practitioner_id"), table_name="deterioration_reports")
    op.drop_index(op.f("ix_deterioration_reports_patient_id"), table_name="deterioration_reports")
    op.drop_index(op.f("ix_deterioration_reports_organization_id"), table_name="deterioration_reports")
    op.drop_index(
        "ix_deterioration_reports_open_deadline",
        table_name="deterioration_reports",
        postgresql_where=sa.text("status = 'open'"),
    )
    op.drop_table("deterioration_reports")
