"""Refunds ordered by records' `complaint.decided` (REC-20, BIL-9): paid within 10 working days."""

from __future__ import annotations

from clinic_common.calendar import Country, add_working_days, local_date
from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.records import ComplaintDecided
from clinic_common.money import Currency, Money

from billing.invoice.repository import InvoiceRepository
from billing.organization.repository import OrganizationRepository
from billing.refund import service
from billing.refund.domain import RefundBasis

COMPLAINT_REFUND_WORKING_DAYS = 10  # O 11.5


async def on_complaint_decided(ctx: HandlerContext) -> None:
    """BIL-9: an upheld complaint is refunded by the original method within 10 working days of
    the decision (ORG-4: the organization's calendar), up to what was paid for the services
    concerned, rendered or not; the deadline is tracked on each refund ordered."""
    data = ctx.data(ComplaintDecided)
    if not data.upheld or data.invoice_id is None:
        return
    invoice = await InvoiceRepository(ctx.session).locked(data.invoice_id)
    if invoice is None or invoice.patient_id != data.patient_id:
        return
    org = await OrganizationRepository(ctx.session).known(invoice.organization_id)
    decided_on = local_date(ctx.envelope.time, org.time_zone)
    due_on = add_working_days(Country(org.country), decided_on, COMPLAINT_REFUND_WORKING_DAYS)
    amount = None
    if data.refund_amount is not None and (data.refund_currency or invoice.currency) == invoice.currency:
        amount = Money.from_decimal_string(data.refund_amount, Currency(invoice.currency))
    await service.order_for_invoice(
        ctx.session,
        invoice,
        RefundBasis.COMPLAINT,
        amount,
        source=f"complaint:{data.complaint_id}",
        now=ctx.now,
        complaint_id=data.complaint_id,
        due_on=due_on,
    )


HANDLERS: dict[str, Handler] = {type_of(ComplaintDecided): on_complaint_decided}
