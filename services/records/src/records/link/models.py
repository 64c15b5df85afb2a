"""Legal representatives and trusted persons of a patient (REC-5)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Text, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from records.db import Base


class PersonLink(Base):
    """Who, which relation, the confirming document, and what the link allows (REC-5)."""

    __tablename__ = "person_links"
    __table_args__ = (
        CheckConstraint("kind IN ('legal_representative', 'trusted_person')", name="kind"),
        CheckConstraint("patient_id <> person_id", name="not_self"),
        CheckConstraint(
            "revocation_reason IS NULL OR revocation_reason IN "
            "('patient_application', 'authority_ended', 'document_expired', 'error')",
            name="revocation_reason",
        ),
        Index(
            "uq_person_links_active",
            "patient_id",
            "person_id",
            "kind",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    relation: Mapped[str] = mapped_column(Text)
    document_kind: Mapped[str] = mapped_column(Text)
    document_number: Mapped[str] = mapped_column(Text)
    allows_health_information: Mapped[bool] = mapped_column(Boolean)
    allows_documents: Mapped[bool] = mapped_column(Boolean)
    allows_sign_consent: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(Text)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revocation_note: Mapped[str | None] = mapped_column(Text)


class Withholding(Base):
    """The attending doctor withholds health information from the patient and gives it to the
    persons named (O 6.2.15, REC-5); recorded, listed for review, lifted by the doctor with a reason."""

    __tablename__ = "withholdings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    decided_by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    disclosed_to: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by: Mapped[str | None] = mapped_column(Text)
    lift_reason: Mapped[str | None] = mapped_column(Text)
