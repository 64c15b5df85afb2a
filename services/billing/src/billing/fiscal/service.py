"""Issuing fiscal documents in the settlement's transaction, and storing the register's answer.

The document row and its delivery row commit together with the payment or refund that caused
them; the delivery worker sends the document after the commit (clinic_common.deliveries), so a
crash neither loses it nor issues it twice (the key is the document's id)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.deliveries import DeliveryOutcome

from billing.db import deliveries
from billing.fiscal.domain import Buyer, Correction, Operation, Paid, Position, build
from billing.fiscal.models import FiscalDocument
from billing.fiscal.ports import FISCAL_CHANNEL, FISCAL_REF
from billing.ids import new_id


async def issue(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    country: str,
    operation: Operation,
    positions: Sequence[Position],
    payments: Sequence[Paid],
    buyer: Buyer,
    ref_type: str,
    ref_id: uuid.UUID,
    source: str,
    now: datetime,
    enrollment_id: uuid.UUID | None = None,
    correction: Correction | None = None,
    corrects_id: uuid.UUID | None = None,
) -> FiscalDocument:
    """A pending fiscal document for a settlement, and its delivery to the register; the same
    `source` again returns the first document (a re-handled event issues nothing new)."""
    existing = await session.scalar(select(FiscalDocument).where(FiscalDocument.source == source))
    if existing is not None:
        return existing
    doc_id = new_id()
    payload = build(
        country,
        document_id=str(doc_id),
        operation=operation,
        positions=positions,
        payments=payments,
        buyer=buyer,
        correction=correction,
    )
    total = sum(p.amount.amount_minor for p in positions)
    doc = FiscalDocument(
        id=doc_id,
        organization_id=organization_id,
        country=country,
        operation=operation.value,
        settlement=positions[0].settlement.value,
        total_minor=total,
        currency=positions[0].amount.currency.value,
        ref_type=ref_type,
        ref_id=ref_id,
        enrollment_id=enrollment_id,
        corrects_id=corrects_id,
        source=source,
        payload=payload,
        status="pending",
        created_at=now,
    )
    session.add(doc)
    await session.flush()
    await deliveries.add(
        session,
        channel=FISCAL_CHANNEL,
        recipient=buyer.phone,
        payload=payload,
        idempotency_key=f"fiscal:{doc_id}",
        ref=(FISCAL_REF, doc_id),
    )
    return doc


async def on_outcome(session: AsyncSession, outcome: DeliveryOutcome) -> None:
    """The register answered: registered with its number, sign and time, or failed with its answer."""
    doc = await session.get(FiscalDocument, uuid.UUID(str(outcome.ref_id)), with_for_update=True)
    if doc is None:
        return
    response = dict(outcome.response)
    doc.register = str(response.get("register") or outcome.provider)
    if outcome.status == "sent":
        doc.status = "registered"
        doc.fiscal_number = str(response.get("fiscal_number") or outcome.reference or "")
        doc.fiscal_sign = str(response.get("fiscal_sign") or "") or None
        registered_at = response.get("registered_at")
        doc.registered_at = datetime.fromisoformat(str(registered_at)) if registered_at else outcome.at
        doc.error = None
    else:
        doc.status = "failed"
        doc.error = (outcome.error or "")[:2000] or str(response)[:2000]
    await session.flush()
