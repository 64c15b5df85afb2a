"""Queries of consents, refusals and the organization's consent list."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select

from clinic_common.db import RepositoryBase

from records.card.domain import ConsentState
from records.consent.models import ConsentRequiredIntervention, Refusal
from records.patient.models import Consent


class ConsentRepository(RepositoryBase[Consent]):
    model = Consent

    async def latest(self, patient_id: UUID, kind: str, **target: object) -> Consent | None:
        stmt = select(Consent).where(Consent.patient_id == patient_id, Consent.kind == kind)
        for column, value in target.items():
            stmt = stmt.where(getattr(Consent, column) == value)
        stmt = stmt.order_by(Consent.given_at.desc(), Consent.id.desc()).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def disclosure_given(self, patient_id: UUID, person_id: UUID) -> bool:
        """REC-7: the latest disclosure consent to this person is in force."""
        latest = await self.latest(patient_id, "disclosure", to_person_id=person_id)
        return latest is not None and latest.given

    async def for_patient(self, patient_id: UUID) -> Sequence[Consent]:
        stmt = select(Consent).where(Consent.patient_id == patient_id).order_by(Consent.given_at, Consent.id)
        return await self.all(stmt)

    async def intervention_state(self, patient_id: UUID, code: str) -> ConsentState:
        """REC-9/REC-10: whichever came last, a consent or a refusal, for this intervention."""
        consent = await self.latest(patient_id, "intervention", intervention_code=code)
        refusal = (
            await self.session.execute(
                select(Refusal)
                .where(Refusal.patient_id == patient_id, Refusal.intervention_code == code)
                .order_by(Refusal.recorded_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        consent_at = consent.given_at if consent is not None and consent.given else None
        if refusal is not None and (consent_at is None or refusal.recorded_at >= consent_at):
            return ConsentState(consented=False, refused=True)
        return ConsentState(consented=consent_at is not None, refused=False)

    async def legal_list(self, organization_id: UUID) -> frozenset[str]:
        stmt = select(ConsentRequiredIntervention.code).where(
            ConsentRequiredIntervention.organization_id == organization_id
        )
        return frozenset((await self.session.execute(stmt)).scalars().all())

    async def legal_list_rows(self, organization_id: UUID) -> Sequence[ConsentRequiredIntervention]:
        stmt = (
            select(ConsentRequiredIntervention)
            .where(ConsentRequiredIntervention.organization_id == organization_id)
            .order_by(ConsentRequiredIntervention.code)
        )
        return (await self.session.execute(stmt)).scalars().all()
