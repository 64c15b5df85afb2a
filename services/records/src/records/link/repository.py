"""Queries of links and withholdings."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select

from clinic_common.db import RepositoryBase

from records.link.domain import Allows, LinkKind, LinkView
from records.link.models import PersonLink, Withholding


def view(link: PersonLink) -> LinkView:
    return LinkView(
        id=link.id,
        person_id=link.person_id,
        kind=LinkKind(link.kind),
        relation=link.relation,
        allows=Allows(
            health_information=link.allows_health_information,
            documents=link.allows_documents,
            sign_consent=link.allows_sign_consent,
        ),
    )


class LinkRepository(RepositoryBase[PersonLink]):
    model = PersonLink

    async def active(self, patient_id: UUID) -> Sequence[PersonLink]:
        return await self.of_patient(patient_id, include_revoked=False)

    async def of_patient(self, patient_id: UUID, *, include_revoked: bool) -> Sequence[PersonLink]:
        stmt = select(PersonLink).where(PersonLink.patient_id == patient_id)
        if not include_revoked:
            stmt = stmt.where(PersonLink.revoked_at.is_(None))
        return await self.all(stmt.order_by(PersonLink.created_at, PersonLink.id))

    async def active_views(self, patient_id: UUID) -> list[LinkView]:
        return [view(link) for link in await self.active(patient_id)]

    async def between(self, patient_id: UUID, person_id: UUID) -> list[LinkView]:
        stmt = select(PersonLink).where(
            PersonLink.patient_id == patient_id,
            PersonLink.person_id == person_id,
            PersonLink.revoked_at.is_(None),
        )
        return [view(link) for link in await self.all(stmt)]

    async def withholding(self, withholding_id: UUID, *, for_update: bool = False) -> Withholding | None:
        stmt = select(Withholding).where(Withholding.id == withholding_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def active_withholding(self, patient_id: UUID) -> Withholding | None:
        stmt = (
            select(Withholding)
            .where(Withholding.patient_id == patient_id, Withholding.lifted_at.is_(None))
            .order_by(Withholding.decided_at.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
