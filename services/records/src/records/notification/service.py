"""Patient notifications: the cabinet inbox plus the chosen channels, each outside channel a
delivery row written in the caller's transaction (`clinic_common.deliveries`), its outcome stored
back on the notification. Never e-mail (REC-17). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.cabinet import is_open
from clinic_common.calendar import local_date
from clinic_common.deliveries import DeliveryOutcome

from records import access
from records.cabinet.models import Cabinet
from records.db import deliveries
from records.document.models import Result
from records.link.domain import HealthInformationWithheld
from records.link.repository import LinkRepository
from records.notification.domain import routes
from records.notification.models import Notification, NotificationDelivery
from records.offer.models import OfferVersion
from records.paging import keyset
from records.patient.context import context_of, load_patient, organization
from records.patient.models import Patient
from records.policy import policy_of

NEUTRAL_TEXT = "You have a new message from the clinic in your personal cabinet or at the registry."
"""What an SMS says about a medical message: nothing medical (REC-17)."""

OUTCOME_REF = "notification_delivery"


async def cabinet_open(session: AsyncSession, patient_id: uuid.UUID) -> bool:
    cabinet = await session.get(Cabinet, patient_id)
    return cabinet is not None and is_open(True, cabinet.restricted)


async def notify(
    session: AsyncSession,
    patient: Patient,
    *,
    kind: str,
    title: str,
    body: str,
    medical: bool,
    cause: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> Notification | None:
    """One message per cause (a re-handled event adds nothing); None when it was already sent."""
    inserted = await session.execute(
        pg_insert(Notification)
        .values(
            id=uuid.uuid4(),
            organization_id=patient.organization_id,
            patient_id=patient.id,
            kind=kind,
            cause=cause,
            title=title,
            body=body,
            medical=medical,
            data=data or {},
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Notification.cause])
        .returning(Notification.id)
    )
    notification_id = inserted.scalar_one_or_none()
    if notification_id is None:
        return None
    org = await organization(session, patient.organization_id)
    policy = policy_of(org, local_date(now, org.time_zone))  # ORG-3: REC-17's channels in force now
    opened = await cabinet_open(session, patient.id)
    # REC-5 (O 6.2.15): while the doctor withholds health information, nothing medical goes out.
    withheld = medical and await LinkRepository(session).active_withholding(patient.id) is not None
    for route in routes(
        preferences=patient.notification_channels,
        medical=medical,
        cabinet_open=opened,
        org_channels=policy.medical_info_channels if medical else ("cabinet", "sms", "whatsapp"),
        phone=patient.phone,
        registration_phone=patient.registration_phone,
    ):
        row = NotificationDelivery(
            id=uuid.uuid4(),
            notification_id=notification_id,
            channel=route.channel,
            recipient=route.recipient,
            status="pending",
        )
        if route.channel == "cabinet":
            row.status = "delivered" if opened else "skipped"
            row.outcome_at = now
            session.add(row)
            continue
        session.add(row)
        row.delivery_id = await deliveries.add(
            session,
            channel=route.channel,
            recipient=route.recipient,
            payload={
                "title": title if route.full_content and not withheld else "A message from the clinic",
                "text": body if route.full_content and not withheld else NEUTRAL_TEXT,
            },
            idempotency_key=f"notification:{notification_id}:{route.channel}",
            ref=(OUTCOME_REF, row.id),
        )
    await session.flush()
    return await session.get(Notification, notification_id)


async def store_outcome(session: AsyncSession, outcome: DeliveryOutcome) -> None:
    """The delivery worker's final outcome, in its transaction (ServiceSpec.delivery_outcomes)."""
    if outcome.ref_id is None:
        return
    row = await session.get(NotificationDelivery, uuid.UUID(outcome.ref_id), with_for_update=True)
    if row is None:
        return
    row.status, row.provider, row.outcome_at, row.error = (
        outcome.status,
        outcome.provider,
        outcome.at,
        outcome.error,
    )
    notification = await session.get(Notification, row.notification_id)
    if outcome.status == "sent" and notification is not None and notification.kind == "results_published":
        # REC-18: where the cabinet could not count as notification, the other channel's delivery does.
        await session.execute(
            update(Result)
            .where(Result.id == uuid.UUID(str(notification.data["result_id"])), Result.notified_at.is_(None))
            .values(notified_at=outcome.at, notified_via=row.channel)
        )


async def notify_offer_change(session: AsyncSession, version: OfferVersion, now: datetime) -> None:
    """ORG-3: every patient with a cabinet is told of the new version before it takes effect."""
    stmt = (
        select(Patient)
        .join(Cabinet, Cabinet.patient_id == Patient.id)
        .where(Patient.organization_id == version.organization_id)
    )
    for patient in (await session.execute(stmt)).scalars().all():
        await notify(
            session,
            patient,
            kind="offer_changed",
            title=f"The public offer changes on {version.effective_from.isoformat()}",
            body=version.title,
            medical=False,
            cause=f"offer:{version.id}:{patient.id}",
            now=now,
            data={"offer_version_id": str(version.id), "effective_from": version.effective_from.isoformat()},
        )


async def list_notifications(
    session: AsyncSession,
    principal: Principal,
    patient_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> tuple[Sequence[Notification], dict[uuid.UUID, list[NotificationDelivery]], bool]:
    """The patient's inbox with each delivery's channel and outcome. Medical bodies (a result) are
    the patient's alone (REC-13): staff see them hidden, and so does the patient while the doctor
    withholds health information (REC-5); a patient's read of them is audited. Returns (rows,
    deliveries, whether medical bodies are shown)."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.READ_NOTIFICATIONS, principal, patient)
    own = access.acts_as_patient(access.READ_NOTIFICATIONS, principal)
    if own and not access.is_self(principal, patient):
        raise access.PatientNotFound()
    stmt = keyset(
        select(Notification).where(Notification.patient_id == patient.id),
        Notification.created_at,
        Notification.id,
        cursor=cursor,
        key_type=datetime,
        limit=limit,
        descending=True,
    )
    rows = (await session.execute(stmt)).scalars().all()
    by_notification: dict[uuid.UUID, list[NotificationDelivery]] = {n.id: [] for n in rows}
    if rows:
        found = await session.execute(
            select(NotificationDelivery)
            .where(NotificationDelivery.notification_id.in_(list(by_notification)))
            .order_by(NotificationDelivery.channel)
        )
        for d in found.scalars().all():
            by_notification[d.notification_id].append(d)
    show_medical = False
    if own and any(n.medical for n in rows):
        ctx = await context_of(session, patient, now)
        try:
            granted = await access.medical_access(
                session, access.READ_CARD, principal, patient, now=now, minor=ctx.minor
            )
        except HealthInformationWithheld:
            return rows, by_notification, False
        await access.audit_medical(
            session, principal, patient, granted, action="read", resource="notification", now=now
        )
        show_medical = True
    return rows, by_notification, show_medical
