"""Queries of the patient module."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from clinic_common.db import RepositoryBase

from records.patient.models import Consent, Patient


class PatientRepository(RepositoryBase[Patient]):
    model = Patient

    async def by_iin(self, organization_id: UUID, iin: str) -> Patient | None:
        return await self.one_or_none(
            select(Patient).where(Patient.organization_id == organization_id, Patient.iin == iin)
        )

    async def add_consent(self, consent: Consent) -> None:
        self.session.add(consent)
