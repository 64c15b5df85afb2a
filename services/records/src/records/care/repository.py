"""Queries of the appointment projection and care relations."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinic_common.db import RepositoryBase

from records.care.models import AppointmentProjection, CareRelation


class CareRepository(RepositoryBase[AppointmentProjection]):
    model = AppointmentProjection

    async def has_relation(
        self, patient_id: UUID, *, practitioner_id: UUID | None, branch_ids: frozenset[UUID] | None
    ) -> bool:
        """A practitioner's own relation; without a practitioner id (a nurse), a relation at one of
        the caller's branches (every branch of the organization when the token lists none)."""
        cond = [CareRelation.patient_id == patient_id]
        if practitioner_id is not None:
            cond.append(CareRelation.practitioner_id == practitioner_id)
        elif branch_ids is not None:
            cond.append(CareRelation.branch_id.in_(branch_ids))
        return bool(await self.session.scalar(select(exists().where(*cond))))

    async def add_relation(
        self,
        *,
        organization_id: UUID,
        patient_id: UUID,
        practitioner_id: UUID | None,
        branch_id: UUID | None,
        source: str,
        source_id: UUID,
        since: datetime,
    ) -> None:
        await self.session.execute(
            pg_insert(CareRelation)
            .values(
                id=uuid.uuid4(),
                organization_id=organization_id,
                patient_id=patient_id,
                practitioner_id=practitioner_id,
                branch_id=branch_id,
                source=source,
                source_id=source_id,
                since=since,
            )
            .on_conflict_do_nothing()
        )
