"""Queries of dispatch: the plan row, and the home-care doctors on shift (projections)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinic_common.db import RepositoryBase

from home_visits.dispatch.models import DispatchPlan
from home_visits.practitioner.models import PractitionerProjection, ShiftProjection


class DispatchRepository(RepositoryBase[DispatchPlan]):
    model = DispatchPlan

    async def lock_plan(
        self, organization_id: UUID, branch_id: UUID, day: date, now: datetime
    ) -> DispatchPlan:
        """The day's plan row, created empty if need be, locked until commit: planners of one
        branch's day run one after the other (HV-9: every visit assigned once)."""
        await self.session.execute(
            pg_insert(DispatchPlan)
            .values(
                id=uuid4(),
                organization_id=organization_id,
                branch_id=branch_id,
                date=day,
                version=0,
                planned_at=now,
                total_distance_km=0.0,
                routes=[],
                unassigned=[],
            )
            .on_conflict_do_nothing(constraint="uq_dispatch_plans_branch_id_date")
        )
        stmt = (
            select(DispatchPlan)
            .where(DispatchPlan.branch_id == branch_id, DispatchPlan.date == day)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one()

    async def existing_plan(self, branch_id: UUID, day: date) -> DispatchPlan | None:
        stmt = select(DispatchPlan).where(
            DispatchPlan.branch_id == branch_id, DispatchPlan.date == day, DispatchPlan.version > 0
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def shifts_on(
        self, branch_id: UUID, day: date
    ) -> Sequence[tuple[PractitionerProjection, ShiftProjection]]:
        """Active home-care doctors of the branch with an active shift there on the day's weekday."""
        stmt = (
            select(PractitionerProjection, ShiftProjection)
            .join(ShiftProjection, ShiftProjection.practitioner_id == PractitionerProjection.id)
            .where(
                PractitionerProjection.home_care.is_(True),
                PractitionerProjection.active.is_(True),
                PractitionerProjection.branch_ids.contains([branch_id]),
                ShiftProjection.branch_id == branch_id,
                ShiftProjection.active.is_(True),
                ShiftProjection.weekday == day.weekday(),
                ShiftProjection.valid_from <= day,
                or_(ShiftProjection.valid_to.is_(None), ShiftProjection.valid_to >= day),
            )
            .order_by(PractitionerProjection.id, ShiftProjection.starts)
        )
        return [(p, s) for p, s in (await self.session.execute(stmt)).all()]
