"""Learns practitioners (home-care doctors among them) and their shifts from scheduling."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.scheduling import PractitionerUpserted, ShiftUpserted
from clinic_common.events.projection import upsert_projection

from home_visits.practitioner.models import PractitionerProjection, ShiftProjection


async def on_practitioner_upserted(ctx: HandlerContext) -> None:
    data = ctx.data(PractitionerUpserted)
    await upsert_projection(
        ctx.session,
        PractitionerProjection.__table__,  # type: ignore[arg-type]
        {
            "id": data.id,
            "organization_id": data.organization_id,
            "branch_ids": list(data.branch_ids),
            "full_name": data.full_name,
            "specialty": data.specialty,
            "home_care": data.home_care,
            "active": data.active,
        },
        ctx.envelope,
    )


async def on_shift_upserted(ctx: HandlerContext) -> None:
    data = ctx.data(ShiftUpserted)
    await upsert_projection(
        ctx.session,
        ShiftProjection.__table__,  # type: ignore[arg-type]
        {
            "id": data.id,
            "organization_id": data.organization_id,
            "practitioner_id": data.practitioner_id,
            "branch_id": data.branch_id,
            "weekday": data.weekday,
            "starts": data.starts,
            "ends": data.ends,
            "valid_from": data.valid_from,
            "valid_to": data.valid_to,
            "active": data.active,
        },
        ctx.envelope,
    )


HANDLERS: dict[str, Handler] = {
    type_of(PractitionerUpserted): on_practitioner_upserted,
    type_of(ShiftUpserted): on_shift_upserted,
}
