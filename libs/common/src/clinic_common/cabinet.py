"""The personal-cabinet gate every service applies to patient tokens (REC-19).

Records owns the fact: the registry opens a cabinet in person, on an identity document, and the
organization may restrict it. Records writes the `cabinet_access` platform table itself and announces
each change (`cabinet.access_granted|restricted|restored`, the whole state each time); every other
service mirrors those events into its own `cabinet_access` table. A caller acting in the patient
scope of a `Grant` (no staff role of the token is granted the action) passes only while the
cabinet is granted and not restricted; anything else is 403 `cabinet_access_required`.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import Request
from sqlalchemy import select

from clinic_common.auth.errors import CabinetAccessRequired
from clinic_common.auth.principal import Principal
from clinic_common.db.platform import PlatformTables
from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.records import (
    CabinetAccessGranted,
    CabinetAccessRestored,
    CabinetAccessRestricted,
    _CabinetAccessData,
)
from clinic_common.events.projection import upsert_projection

CABINET_EVENTS: tuple[type[_CabinetAccessData], ...] = (
    CabinetAccessGranted,
    CabinetAccessRestricted,
    CabinetAccessRestored,
)


def is_open(granted: bool, restricted: bool) -> bool:
    """REC-19: granted in person, and not restricted by the organization (P 10.7)."""
    return granted and not restricted


def cabinet_handlers(platform: PlatformTables) -> dict[str, Handler]:
    """Handlers mirroring records' cabinet events into this service's `cabinet_access` (by sequence)."""

    async def mirror(ctx: HandlerContext) -> None:
        data = ctx.data(_CabinetAccessData)
        await upsert_projection(
            ctx.session,
            platform.cabinet_access,
            {
                "patient_id": data.patient_id,
                "organization_id": data.organization_id,
                "granted": data.granted,
                "restricted": data.restricted,
                "changed_at": data.changed_at,
            },
            ctx.envelope,
            key="patient_id",
        )

    return {type_of(model): mirror for model in CABINET_EVENTS}


async def cabinet_is_open(request: Request, patient_id: UUID, org_id: UUID) -> bool:
    platform: PlatformTables = request.app.state.platform
    t = platform.cabinet_access
    async with request.app.state.db.engine.connect() as conn:
        row = (
            await conn.execute(
                select(t.c.granted, t.c.restricted).where(
                    t.c.patient_id == patient_id, t.c.organization_id == org_id
                )
            )
        ).first()
    return row is not None and is_open(row.granted, row.restricted)


async def require_open_cabinet(request: Request, principal: Principal) -> None:
    """Refuse a patient-scope caller whose cabinet is not open (403 `cabinet_access_required`)."""
    if principal.patient_id is None or principal.org_id is None:
        raise CabinetAccessRequired("The token names no patient of an organization")
    if not await cabinet_is_open(request, principal.patient_id, principal.org_id):
        raise CabinetAccessRequired(
            "The personal cabinet is opened in person at a registry, on an identity document (REC-19)"
        )
