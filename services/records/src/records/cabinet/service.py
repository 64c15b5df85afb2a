"""Personal cabinet use cases (REC-19): grant in person, restrict, restore. Each change writes the
platform `cabinet_access` row (records' own gate) and announces the whole state through the outbox,
in the same transaction. Never commits."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import AppError, register_constraint_error
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.records import (
    CabinetAccessGranted,
    CabinetAccessRestored,
    CabinetAccessRestricted,
)

from records import access
from records.cabinet.models import Cabinet
from records.cabinet.schemas import CabinetGrant
from records.db import platform
from records.document.domain import Holder, check_hand_over
from records.patient.context import load_patient


class IdentityDocumentMismatch(AppError):
    status = 403
    code = "identity_document_mismatch"
    title = "Cabinet access is granted only on the patient's own identity document, shown in person"
    rule = "REC-19"


class CabinetNotGranted(AppError):
    status = 409
    code = "cabinet_not_granted"
    title = "The patient has no personal cabinet yet"
    rule = "REC-19"


class CabinetAlreadyInState(AppError):
    status = 409
    code = "cabinet_unchanged"
    title = "The cabinet is already in that state"
    rule = "REC-19"


# Two registrars granting at once: the primary key settles it, the second answers 409.
register_constraint_error("pk_cabinets", CabinetAlreadyInState)


async def _announce(
    session: AsyncSession, outbox: Outbox, cabinet: Cabinet, event: type, now: datetime
) -> None:
    values = {
        "patient_id": cabinet.patient_id,
        "organization_id": cabinet.organization_id,
        "granted": True,
        "restricted": cabinet.restricted,
        "changed_at": now,
    }
    envelope = await outbox.add(
        session,
        type=type_of(event),
        aggregate_id=cabinet.patient_id,
        org_id=cabinet.organization_id,
        now=now,
        data=event(**values),
    )
    t = platform.cabinet_access
    row = {**values, "source_sequence": envelope.sequence}
    stmt = pg_insert(t).values(**row)
    await session.execute(stmt.on_conflict_do_update(index_elements=[t.c.patient_id], set_=row))


async def get_cabinet(
    session: AsyncSession, principal: Principal, patient_id: UUID
) -> tuple[UUID, Cabinet | None]:
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.CABINET_READ, principal, patient)
    if access.acts_as_patient(access.CABINET_READ, principal) and not access.is_self(principal, patient):
        raise access.PatientNotFound()
    return patient.id, await session.get(Cabinet, patient.id)


async def grant(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: UUID,
    body: CabinetGrant,
    now: datetime,
) -> Cabinet:
    """REC-19 (P 10.2-10.4): only the registry, in person, on the patient's identity document."""
    patient = await load_patient(session, patient_id, for_update=True)
    await access.check_patient(session, access.CABINET_GRANT, principal, patient)
    shown = (body.identity_document.kind, body.identity_document.number)
    try:
        check_hand_over(
            patient.id,
            shown,
            [Holder(patient.id, (patient.identity_document_kind, patient.identity_document_number), True)],
        )
    except AppError as exc:
        raise IdentityDocumentMismatch() from exc
    cabinet = await session.get(Cabinet, patient.id)
    if cabinet is not None:
        raise CabinetAlreadyInState("the cabinet is already granted")
    cabinet = Cabinet(
        patient_id=patient.id,
        organization_id=patient.organization_id,
        granted_at=now,
        granted_by=principal.subject,
        identity_document=f"{shown[0]} {shown[1]}",
        restricted=False,
        changed_at=now,
    )
    session.add(cabinet)
    await _announce(session, outbox, cabinet, CabinetAccessGranted, now)
    return cabinet


async def restrict(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    patient_id: UUID,
    *,
    restricted: bool,
    reason: str | None,
    now: datetime,
) -> Cabinet:
    """REC-19 (P 10.7): the organization restricts the cabinet at its discretion, and lifts it."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.CABINET_RESTRICT, principal, patient)
    cabinet = await session.get(Cabinet, patient.id, with_for_update=True)
    if cabinet is None:
        raise CabinetNotGranted()
    if cabinet.restricted == restricted:
        raise CabinetAlreadyInState()
    cabinet.restricted = restricted
    cabinet.restricted_at = now if restricted else None
    cabinet.restriction_reason = reason if restricted else None
    cabinet.changed_at = now
    await _announce(
        session, outbox, cabinet, CabinetAccessRestricted if restricted else CabinetAccessRestored, now
    )
    return cabinet
