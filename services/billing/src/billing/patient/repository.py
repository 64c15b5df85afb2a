"""Queries of the patient projection."""

from __future__ import annotations

from uuid import UUID

from clinic_common.db import RepositoryBase
from clinic_common.errors import UnknownEntity

from billing.patient.models import PatientProjection


class PatientRepository(RepositoryBase[PatientProjection]):
    model = PatientProjection

    async def known(self, patient_id: UUID) -> PatientProjection:
        """The patient as learned from records, or 422 `patient_unknown` so the client retries."""
        patient = await self.get(patient_id)
        if patient is None:
            raise UnknownEntity("patient", patient_id)
        return patient
