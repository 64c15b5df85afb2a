"""The visit's money from scheduling's events: the estimate when booked (BIL-6, BIL-8), repriced
when moved (BIL-1), the act when fulfilled (BIL-6), and what a cancellation does (BIL-9)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from clinic_common.calendar import local_date
from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.scheduling import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentFulfilled,
    AppointmentNoshow,
    AppointmentRescheduled,
)
from clinic_common.money import Currency, Money

from billing.catalog.repository import ServiceRepository
from billing.invoice.domain import PayerKind, resolve_payer
from billing.invoice.models import Invoice
from billing.invoice.repository import InvoiceRepository
from billing.invoice.service import (
    Line,
    announce,
    cancel_items,
    charge,
    new_invoice,
    price_items,
    refresh_status,
)
from billing.ledger.domain import movement
from billing.ledger.service import post
from billing.organization.repository import OrganizationRepository, policy_of
from billing.partner.models import InsurancePolicy
from billing.pricelist.service import price_on


async def on_booked(ctx: HandlerContext) -> None:
    """BIL-6/BIL-8: the visit's estimate, with its payer and the price in force on its day."""
    data = ctx.data(AppointmentBooked)
    repo = InvoiceRepository(ctx.session)
    source = f"appointment:{data.appointment_id}"
    if await repo.by_source(source) is not None:
        return
    org = await OrganizationRepository(ctx.session).known(data.organization_id)
    service = await ServiceRepository(ctx.session).known(org.id, data.service_code)
    day = local_date(data.start, org.time_zone)
    has_policy = False
    if data.payer_kind == PayerKind.INSURER and data.payer_ref:
        has_policy = (
            await ctx.session.scalar(
                select(InsurancePolicy.id).where(
                    InsurancePolicy.patient_id == data.patient_id,
                    InsurancePolicy.insurer_id == _uuid(data.payer_ref),
                    InsurancePolicy.valid_from <= day,
                    InsurancePolicy.valid_to >= day,
                )
            )
        ) is not None
    payer = resolve_payer(
        data.payer_kind,
        data.payer_ref,
        state_order=service.state_order,
        insurer_policy=has_policy,
        enrollment_id=data.enrollment_id,
    )
    invoice = new_invoice(
        org,
        data.patient_id,
        kind="estimate",
        source=source,
        payer=payer,
        service_date=day,
        now=ctx.now,
        appointment_id=data.appointment_id,
        branch_id=data.branch_id,
        enrollment_id=data.enrollment_id if payer.kind is PayerKind.PROGRAM else None,
        due_at=policy_of(org, day).end_of_day(data.start),
    )
    ctx.session.add(invoice)
    await ctx.session.flush()
    items = await price_items(
        ctx.session,
        org,
        invoice,
        [Line(data.service_code)],
        day,
        ctx.now,
        has_referral=data.referral_id is not None,
    )
    await charge(ctx.session, invoice, items, ctx.now)
    await announce(invoice, ctx.session, "estimate", ctx.now)


def _uuid(value: str) -> object:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)


async def _estimate(ctx: HandlerContext, appointment_id: object) -> Invoice | None:
    return await InvoiceRepository(ctx.session).by_source(f"appointment:{appointment_id}", for_update=True)


async def on_rescheduled(ctx: HandlerContext) -> None:
    """BIL-1: a service costs the price in force on the day it is rendered, unless already paid in
    advance (it keeps the price paid); a moved, unpaid visit is repriced for its new day."""
    data = ctx.data(AppointmentRescheduled)
    invoice = await _estimate(ctx, data.appointment_id)
    if invoice is None or invoice.status == "void":
        return
    org = await OrganizationRepository(ctx.session).known(invoice.organization_id)
    day = local_date(data.start, org.time_zone)
    invoice.service_date = day
    invoice.due_at = policy_of(org, day).end_of_day(data.start)
    delta = 0
    for item in await InvoiceRepository(ctx.session).items(invoice.id):
        if item.status != "planned" or item.paid_price_locked or item.coverage is not None:
            continue
        listed = await price_on(ctx.session, org.id, item.service_code, day)
        if listed.price_minor == item.list_price_minor:
            continue
        ratio = (item.unit_price_minor / item.list_price_minor) if item.list_price_minor else 1
        unit = round(listed.price_minor * ratio) if item.discount_percent else listed.price_minor
        new_amount = unit * item.quantity
        delta += new_amount - item.amount_minor
        item.list_price_minor, item.unit_price_minor, item.amount_minor = listed.price_minor, unit, new_amount
    if delta:
        invoice.total_minor += delta
        refresh_status(invoice)
        await ctx.session.flush()
        from billing.invoice.service import receivable_account, revenue_account

        await post(
            ctx.session,
            invoice.organization_id,
            movement(
                "reprice",
                (
                    receivable_account(invoice),
                    revenue_account(invoice),
                    Money(delta, Currency(invoice.currency)),
                    invoice.patient_id,
                ),
            ),
            ref_type="invoice",
            ref_id=invoice.id,
            at=ctx.now,
        )


async def on_cancelled(ctx: HandlerContext) -> None:
    """BIL-9: cancelled by the organization (absence, force majeure): refunded in full, ordered at
    once; by the patient in time (`refundable`): the charge is reversed and what was paid stays as
    the patient's credit until a written application asks for it back; lost to lateness or a
    no-show: not refunded, the charge stands."""
    from billing.refund import service as refunds
    from billing.refund.domain import RefundBasis

    data = ctx.data(AppointmentCancelled)
    invoice = await _estimate(ctx, data.appointment_id)
    if invoice is None or invoice.cancel_reason is not None:
        return
    items = await InvoiceRepository(ctx.session).items(invoice.id)
    planned = [i for i in items if i.status == "planned"]
    if not data.refundable or data.reason in ("late_refused", "noshow"):
        invoice.cancel_reason = data.reason if data.reason in ("late_refused", "noshow") else "patient_breach"
        for item in planned:
            item.status = "forfeited"
        await ctx.session.flush()
        return
    invoice.cancel_reason = "absence" if data.reason in ("absence", "clinic") else "patient"
    if invoice.cancel_reason == "absence" and invoice.paid_minor > 0:
        await refunds.order_for_invoice(
            ctx.session,
            invoice,
            RefundBasis.CANCELLATION,
            None,
            source=f"cancellation:{data.appointment_id}",
            now=ctx.now,
        )
        return
    if planned:
        await cancel_items(ctx.session, invoice, planned, ctx.now)
    excess = -invoice.balance_due_minor
    if excess > 0:  # paid for a visit that will not happen: the patient's credit (an advance)
        from billing.invoice.service import receivable_account
        from billing.ledger.domain import Account

        invoice.paid_minor -= excess
        refresh_status(invoice)
        await ctx.session.flush()
        await post(
            ctx.session,
            invoice.organization_id,
            movement(
                "to_credit",
                (
                    receivable_account(invoice),
                    Account.PATIENT_ADVANCES,
                    Money(excess, Currency(invoice.currency)),
                    invoice.patient_id,
                ),
            ),
            ref_type="invoice",
            ref_id=invoice.id,
            at=ctx.now,
        )
    if invoice.total_minor == 0 and invoice.paid_minor == 0:
        invoice.status = "void"


async def on_fulfilled(ctx: HandlerContext) -> None:
    """BIL-6: the act of rendered services when the visit completes; each service covered by a
    program is counted and offsets the advance (BIL-12)."""
    from billing.program import service as programs

    data = ctx.data(AppointmentFulfilled)
    invoice = await _estimate(ctx, data.appointment_id)
    if invoice is None or invoice.act_issued_at is not None:
        return
    org = await OrganizationRepository(ctx.session).known(invoice.organization_id)
    rendered_on = local_date(data.fulfilled_at, org.time_zone)
    for item in await InvoiceRepository(ctx.session).items(invoice.id):
        if item.status == "planned":
            item.status, item.rendered_at = "rendered", data.fulfilled_at
        if item.coverage == "program" and invoice.enrollment_id is not None:
            await programs.record_usage(
                ctx.session,
                invoice.enrollment_id,
                item.service_code,
                item.name,
                rendered_on,
                source=f"appointment:{data.appointment_id}:{item.id}",
                now=ctx.now,
            )
    invoice.act_issued_at = data.fulfilled_at
    policy = policy_of(org, rendered_on)  # ORG-3: the payment term in force on the day rendered
    if policy.payment_timing == "after_act":  # P 4.6, P 12.2.5: paid on the day rendered
        invoice.due_at = policy.end_of_day(data.fulfilled_at)
    elif invoice.due_at is None or invoice.due_at < data.fulfilled_at:
        invoice.due_at = data.fulfilled_at + timedelta(minutes=policy.extra_services_payment_minutes or 0)
    await ctx.session.flush()
    await announce(invoice, ctx.session, "act", ctx.now)


async def on_noshow(ctx: HandlerContext) -> None:
    """SCH-7/BIL-9: a no-show is treated like a refusal for lateness: not refunded."""
    data = ctx.data(AppointmentNoshow)
    invoice = await _estimate(ctx, data.appointment_id)
    if invoice is None or invoice.cancel_reason is not None:
        return
    invoice.cancel_reason = "noshow"
    for item in await InvoiceRepository(ctx.session).items(invoice.id):
        if item.status == "planned":
            item.status = "forfeited"
    await ctx.session.flush()


HANDLERS: dict[str, Handler] = {
    type_of(AppointmentBooked): on_booked,
    type_of(AppointmentRescheduled): on_rescheduled,
    type_of(AppointmentCancelled): on_cancelled,
    type_of(AppointmentFulfilled): on_fulfilled,
    type_of(AppointmentNoshow): on_noshow,
}
