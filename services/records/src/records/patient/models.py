"""Persons (patients, representatives, trusted persons) and their recorded consents (REC-1, REC-2, REC-5)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class Patient(Base):
    """A person of records' registry. Representatives and trusted persons are registered the same
    way (REC-5); the token's `patient_id` is this id for all of them."""

    __tablename__ = "patients"
    __table_args__ = (
        # One person per IIN within an organization (REC-1); the database settles concurrent registrations.
        Index(
            "uq_patients_organization_id_iin",
            "organization_id",
            "iin",
            unique=True,
            postgresql_where=text("iin IS NOT NULL"),
        ),
        CheckConstraint("sex IN ('female', 'male')", name="sex"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    last_name: Mapped[str] = mapped_column(Text)
    first_name: Mapped[str] = mapped_column(Text)
    middle_name: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(Text)
    iin: Mapped[str | None] = mapped_column(Text)
    identity_document_kind: Mapped[str] = mapped_column(Text)
    identity_document_number: Mapped[str] = mapped_column(Text)
    address_text: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(Text)
    # REC-17 (O 7.9): WhatsApp goes only to the number given at registration, whatever the
    # patient later changes `phone` to in the cabinet (REC-19).
    registration_phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # REC-7: a patient treated for drug addiction consents personally from 16, not 15.
    drug_addiction_treatment: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # Channels the patient asked to be told through, besides the cabinet inbox (REC-17).
    notification_channels: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=lambda: ["cabinet", "sms"], server_default=text("'{cabinet,sms}'")
    )
    health_group: Mapped[str | None] = mapped_column(Text)  # REC-12, the latest recorded
    service_refused_from: Mapped[date | None] = mapped_column(Date)  # REC-22


class Consent(Base):
    """A consent as given or withdrawn: what, by whom, when (business clock), through which channel
    (REC-2, REC-7, REC-9). Insert-only (a trigger refuses UPDATE and DELETE): a withdrawal is a new
    row with `given` false, and the latest row of a kind (and target) is in force."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('personal_data', 'photo_video', 'disclosure', 'intervention')", name="kind"
        ),
        CheckConstraint("kind <> 'disclosure' OR to_person_id IS NOT NULL", name="disclosure_target"),
        CheckConstraint("kind <> 'intervention' OR intervention_code IS NOT NULL", name="intervention_code"),
        Index("ix_consents_patient_id_kind", "patient_id", "kind", "given_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)
    given: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    signed_by: Mapped[uuid.UUID | None] = mapped_column()  # the person who signed (REC-6, REC-7)
    signer_role: Mapped[str | None] = mapped_column(Text)  # patient, legal_representative, trusted_person
    to_person_id: Mapped[uuid.UUID | None] = mapped_column()  # disclosure: to whom (REC-7)
    intervention_code: Mapped[str | None] = mapped_column(Text)  # intervention: which (REC-9)
