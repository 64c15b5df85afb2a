"""HTTP layer of the patient's notifications."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from clinic_common.auth import Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from records import access
from records.notification import service
from records.notification.schemas import DeliveryRead, NotificationRead
from records.paging import Cursor, InvalidCursor, Limit, encode, page

router = APIRouter(tags=["notifications"])

ReaderDep = Annotated[Principal, access.READ_NOTIFICATIONS.dependency()]


@router.get(
    "/v1/patients/{patient_id}/notifications",
    response_model=Page[NotificationRead],
    responses=problems(access.PatientNotFound, unknown_entity("organization"), InvalidCursor),
)
async def notifications(
    request: Request,
    patient_id: UUID,
    session: SessionDep,
    principal: ReaderDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NotificationRead]:
    """The cabinet inbox, newest first, with each delivery's channel and outcome."""
    rows, deliveries, show_medical = await service.list_notifications(
        session, principal, patient_id, limit=limit, cursor=cursor, now=request.app.state.clock.now()
    )
    shown, next_cursor = page(rows, limit, lambda n: encode(n.created_at, n.id))
    items = [
        NotificationRead(
            id=n.id,
            kind=n.kind,
            title=n.title,
            body=n.body if show_medical or not n.medical else None,
            medical=n.medical,
            data=dict(n.data),
            created_at=n.created_at,
            deliveries=[
                DeliveryRead(
                    channel=d.channel,
                    status=d.status,
                    recipient=d.recipient,
                    provider=d.provider,
                    outcome_at=d.outcome_at,
                    error=d.error,
                )
                for d in deliveries[n.id]
            ],
        )
        for n in shown
    ]
    return Page(items=items, next_cursor=next_cursor)
