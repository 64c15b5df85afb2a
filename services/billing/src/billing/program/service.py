"""Program use cases (BIL-12 to BIL-18): the catalogue, enrolment with prepayment, usage offset
against the advance, surcharges, termination and the end of the period. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import Country, add_working_days, local_date
from clinic_common.events.catalog import type_of
from clinic_common.events.payloads.billing import (
    EnrollmentCreated,
    EnrollmentEnded,
    EnrollmentSuspended,
    ProgramUpserted,
    SurchargeAccepted,
    SurchargeProposed,
    SurchargeRefused,
)
from clinic_common.money import Currency, Money, MoneyModel

from billing import access
from billing.catalog.repository import ServiceRepository
from billing.db import outbox
from billing.fiscal import service as fiscal
from billing.fiscal.domain import Operation, Paid, PaymentType, Position, Settlement
from billing.ids import new_id
from billing.invoice.domain import Payer, PayerKind
from billing.invoice.models import Invoice, InvoiceItem
from billing.invoice.repository import InvoiceRepository
from billing.invoice.service import Line, announce, charge, new_invoice, price_items, refresh_status
from billing.ledger.domain import Account, movement
from billing.ledger.service import post
from billing.organization.repository import OrganizationRepository
from billing.patient.models import PatientProjection
from billing.patient.repository import PatientRepository
from billing.payment.models import Payment
from billing.payment.service import buyer_of
from billing.pricelist.service import price_on
from billing.program.domain import (
    EnrollmentNotActive,
    EnrollmentNotAllowed,
    EnrollmentNotFound,
    ProgramExists,
    ProgramNotFound,
    SurchargeDecided,
    SurchargeNotFound,
    blocked_at_sale,
    health_group_surcharge,
    offset_value,
    period_end,
    zone_surcharge,
)
from billing.program.models import (
    Enrollment,
    Program,
    ProgramExclusion,
    ProgramService,
    ProgramUsage,
    Surcharge,
)
from billing.program.repository import ProgramRepository
from billing.program.schemas import EnrollmentCreate, ProgramCreate
from billing.refund.domain import RefundBasis, RefundNotAllowed, check_amount
from billing.refund.models import Refund

MANAGER_CONTACTS_WORKING_DAYS = 3  # P 12.9.1


# --- the catalogue ----------------------------------------------------------------------------


async def create_program(
    session: AsyncSession, principal: Principal, body: ProgramCreate, now: datetime
) -> Program:
    """BIL-12: a program lists its services and how often each is covered; BIL-13: its exclusions
    are data (P 12.8.1-12.8.4), not code. Its price is the price list's for `service_code`."""
    access.check_org(access.MANAGE_PROGRAMS, principal, body.organization_id)
    await OrganizationRepository(session).known(body.organization_id)
    services = ServiceRepository(session)
    await services.known(body.organization_id, body.service_code)
    for inc in body.included:
        await services.known(body.organization_id, inc.service_code)
    existing = await session.scalar(
        select(Program.id).where(
            Program.organization_id == body.organization_id, Program.service_code == body.service_code
        )
    )
    if existing is not None:
        raise ProgramExists()
    program = Program(
        id=new_id(),
        organization_id=body.organization_id,
        service_code=body.service_code,
        name=body.name,
        duration_months=body.duration_months,
        urgent_home_care=body.urgent_home_care,
        referral_required=body.referral_required,
        home_care_in_base_zone=body.home_care_in_base_zone,
        documents=sorted(set(body.documents)),
        active=True,
        created_at=now,
    )
    session.add(program)
    await session.flush()
    await put_content(session, program, body)
    await announce_program(session, program, now)
    return program


async def put_content(session: AsyncSession, program: Program, body: ProgramCreate) -> None:
    seen: set[str] = set()
    for inc in body.included:
        if inc.service_code in seen:
            continue
        seen.add(inc.service_code)
        session.add(
            ProgramService(
                id=new_id(),
                program_id=program.id,
                service_code=inc.service_code,
                times=inc.times,
                terms=[t.value for t in inc.terms],
                without_referral=inc.without_referral,
                preventive_month=inc.preventive_month,
            )
        )
    keys: set[tuple[str, str]] = set()
    for ex in body.exclusions:
        if (ex.kind.value, ex.code) in keys:
            continue
        keys.add((ex.kind.value, ex.code))
        session.add(
            ProgramExclusion(
                id=new_id(),
                program_id=program.id,
                kind=ex.kind.value,
                code=ex.code,
                name=ex.name,
                source=ex.source,
            )
        )
    await session.flush()


async def announce_program(session: AsyncSession, program: Program, now: datetime) -> None:
    included = await ProgramRepository(session).services_of(program.id)
    await outbox.add(
        session,
        type=type_of(ProgramUpserted),
        aggregate_id=program.id,
        org_id=program.organization_id,
        now=now,
        data=ProgramUpserted(
            id=program.id,
            organization_id=program.organization_id,
            name=program.name,
            urgent_home_care=program.urgent_home_care,
            referral_required=program.referral_required,
            service_code=program.service_code,
            duration_months=program.duration_months,
            included=[{"service_code": s.service_code, "times": s.times} for s in included],
            active=program.active,
        ),
    )


async def get_program(session: AsyncSession, principal: Principal, program_id: UUID) -> Program:
    program = await ProgramRepository(session).get(program_id)
    if program is None or not access.can(
        access.READ_PROGRAMS, principal, program.organization_id, principal.patient_id
    ):
        raise ProgramNotFound()
    return program


# --- enrolment ---------------------------------------------------------------------------------


async def enroll(
    session: AsyncSession, principal: Principal, body: EnrollmentCreate, now: datetime
) -> Enrollment:
    """BIL-12: sold for a period against prepayment; not to a patient with a condition of P 12.8.3;
    the personal manager's contacts are due within 3 working days of purchase (P 12.9.1)."""
    patient = await PatientRepository(session).known(body.patient_id)
    access.check_patient(access.ENROLL, principal, patient.organization_id, patient.id)
    repo = ProgramRepository(session)
    program = await repo.get(body.program_id)
    if program is None or program.organization_id != patient.organization_id or not program.active:
        raise ProgramNotFound()
    barred = blocked_at_sale(body.conditions, await repo.terms(program))
    if barred:
        raise EnrollmentNotAllowed(f"conditions of P 12.8.3: {', '.join(barred)}", conditions=barred)
    org = await OrganizationRepository(session).known(patient.organization_id)
    today = local_date(now, org.time_zone)
    ends_on = period_end(body.starts_on, program.duration_months)
    enrollment_id = new_id()
    invoice = new_invoice(
        org,
        patient.id,
        kind="program",
        source=f"enrollment:{enrollment_id}",
        payer=Payer(PayerKind.PATIENT),
        service_date=today,
        now=now,
        enrollment_id=enrollment_id,
    )
    session.add(invoice)
    await session.flush()
    items = await price_items(session, org, invoice, [Line(program.service_code)], today, now)
    await charge(session, invoice, items, now)
    enrollment = Enrollment(
        id=enrollment_id,
        organization_id=org.id,
        program_id=program.id,
        patient_id=patient.id,
        invoice_id=invoice.id,
        starts_on=body.starts_on,
        ends_on=ends_on,
        status="awaiting_payment",
        price_minor=invoice.total_minor,
        currency=invoice.currency,
        used_minor=0,
        band_km=None,
        manager_contacts_due_on=add_working_days(
            org_country(org.country), today, MANAGER_CONTACTS_WORKING_DAYS
        ),
        created_at=now,
    )
    session.add(enrollment)
    await session.flush()
    await announce(invoice, session, "program", now)
    return enrollment


def org_country(country: str) -> Country:
    return Country(country)


async def visible_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: UUID, grant: object
) -> Enrollment:
    from clinic_common.auth import Grant

    assert isinstance(grant, Grant)
    enrollment = await ProgramRepository(session).enrollment(enrollment_id)
    if enrollment is None or not access.can(
        grant, principal, enrollment.organization_id, enrollment.patient_id
    ):
        raise EnrollmentNotFound()
    return enrollment


async def _announce_enrollment(session: AsyncSession, e: Enrollment, event: type, now: datetime) -> None:
    program = await ProgramRepository(session).get(e.program_id)
    assert program is not None
    included = await ProgramRepository(session).services_of(program.id)
    plan = [
        {"service_code": s.service_code, "month": str(s.preventive_month)}
        for s in included
        if s.preventive_month
    ]
    await outbox.add(
        session,
        type=type_of(event),
        aggregate_id=e.id,
        org_id=e.organization_id,
        now=now,
        data=event(
            enrollment_id=e.id,
            program_id=e.program_id,
            patient_id=e.patient_id,
            organization_id=e.organization_id,
            starts_on=e.starts_on,
            ends_on=e.ends_on,
            urgent_home_care=program.urgent_home_care,
            preventive_plan=plan,
            status=e.status,
        ),
    )


async def activate_paid(session: AsyncSession, invoice: Invoice, now: datetime) -> None:
    """BIL-12: the program is prepaid; paid in full, the enrolment is in force."""
    e = await ProgramRepository(session).enrollment_of_invoice(invoice.id, for_update=True)
    if e is None or e.status != "awaiting_payment":
        return
    e.status = "active"
    await session.flush()
    await _announce_enrollment(session, e, EnrollmentCreated, now)


async def program_name_of_invoice(session: AsyncSession, invoice: Invoice) -> str | None:
    if invoice.enrollment_id is None:
        return None
    e = await ProgramRepository(session).enrollment(invoice.enrollment_id)
    program = await ProgramRepository(session).get(e.program_id) if e else None
    return f"Программа «{program.name}» (аванс)" if program else None


async def advance_paid(session: AsyncSession, e: Enrollment) -> Money:
    """What was paid in advance for the enrolment: its price and accepted surcharges."""
    stmt = select(func.coalesce(func.sum(Invoice.paid_minor), 0)).where(
        Invoice.enrollment_id == e.id, Invoice.kind.in_(("program", "surcharge"))
    )
    return Money(int(await session.scalar(stmt) or 0), Currency(e.currency))


# --- usage: offsets of the advance --------------------------------------------------------------


async def record_usage(
    session: AsyncSession,
    enrollment_id: UUID,
    service_code: str,
    name: str,
    day: date,
    *,
    source: str,
    now: datetime,
) -> ProgramUsage | None:
    """BIL-12 usage counting; each covered service offsets the advance by a full-settlement receipt
    at its price in force that day (BIL-1), never beyond what is left of the advance."""
    repo = ProgramRepository(session)
    if await repo.usage_by_source(source) is not None:
        return None
    e = await repo.enrollment(enrollment_id, for_update=True)
    if e is None:
        return None
    org = await OrganizationRepository(session).known(e.organization_id)
    listed = await price_on(session, e.organization_id, service_code, day)
    remaining = (await advance_paid(session, e)) - Money(e.used_minor, Currency(e.currency))
    value = offset_value(Money(listed.price_minor, Currency(listed.currency)), remaining)
    usage = ProgramUsage(
        id=new_id(),
        enrollment_id=e.id,
        service_code=service_code,
        rendered_on=day,
        value_minor=value.amount_minor,
        source=source,
        created_at=now,
    )
    session.add(usage)
    e.used_minor += value.amount_minor
    await session.flush()
    if value.is_positive():
        await _offset(
            session,
            e,
            org.country,
            [Position(name, 1, value, value, Settlement.FULL_SETTLEMENT, service_code)],
            ref_type="program_usage",
            ref_id=usage.id,
            source=f"usage:{usage.id}",
            now=now,
        )
    return usage


async def _offset(
    session: AsyncSession,
    e: Enrollment,
    country: str,
    positions: Sequence[Position],
    *,
    ref_type: str,
    ref_id: UUID,
    source: str,
    now: datetime,
) -> None:
    value = Money.total((p.amount for p in positions), Currency(e.currency))
    await post(
        session,
        e.organization_id,
        movement("program_offset", (Account.PROGRAM_DEFERRED_REVENUE, Account.REVENUE, value, e.patient_id)),
        ref_type=ref_type,
        ref_id=ref_id,
        at=now,
    )
    patient = await session.get(PatientProjection, e.patient_id)
    await fiscal.issue(
        session,
        organization_id=e.organization_id,
        country=country,
        operation=Operation.SALE,
        positions=positions,
        payments=[Paid(PaymentType.ADVANCE_OFFSET, value)],
        buyer=buyer_of(patient),
        ref_type=ref_type,
        ref_id=ref_id,
        source=source,
        now=now,
        enrollment_id=e.id,
    )


async def end_due(session: AsyncSession, now: datetime, limit: int = 50) -> int:
    """The period is over: what is left of the advance is earned, offset by a closing receipt
    (so the advance receipts add up to the offsets and refunds); `enrollment.ended`."""
    repo = ProgramRepository(session)
    ended = 0
    for e in await repo.ending_by(now.date() + timedelta(days=1), limit):
        org = await OrganizationRepository(session).known(e.organization_id)
        if e.ends_on >= local_date(now, org.time_zone):
            continue
        remaining = (await advance_paid(session, e)) - Money(e.used_minor, Currency(e.currency))
        if remaining.is_positive():
            program = await repo.get(e.program_id)
            name = f"Программа «{program.name if program else ''}»: услуги за период"
            e.used_minor += remaining.amount_minor
            await _offset(
                session,
                e,
                org.country,
                [Position(name, 1, remaining, remaining, Settlement.FULL_SETTLEMENT, "program")],
                ref_type="enrollment",
                ref_id=e.id,
                source=f"enrollment_end:{e.id}",
                now=now,
            )
        e.status = "ended"
        e.ended_at = now
        await session.flush()
        await _announce_enrollment(session, e, EnrollmentEnded, now)
        ended += 1
    return ended


async def terminate(
    session: AsyncSession,
    invoice: Invoice,
    payment: Payment,
    now: datetime,
    *,
    patient_breach: bool,
    requested: MoneyModel | None,
) -> Refund:
    """BIL-9 early termination of a program: the amount paid less the services rendered (valued at
    the price list), unless the patient breached the contract; returned as a sale refund."""
    e = await ProgramRepository(session).enrollment_of_invoice(invoice.id, for_update=True)
    if e is None or e.status not in ("active", "suspended", "awaiting_payment"):
        raise EnrollmentNotActive()
    if patient_breach:
        raise RefundNotAllowed(
            "early termination for the patient's breach of contract is not refunded (O 4.5)"
        )
    remaining = (await advance_paid(session, e)) - Money(e.used_minor, Currency(e.currency))
    left_on_payment = Money(payment.amount_minor - payment.refunded_minor, Currency(payment.currency))
    limit = min(remaining, left_on_payment)
    if not limit.is_positive():
        raise RefundNotAllowed("nothing of the advance is left to refund")
    amount = check_amount(requested.to_money() if requested else None, limit)
    invoice.adjusted_minor += amount.amount_minor
    invoice.paid_minor -= amount.amount_minor
    refresh_status(invoice)
    payment.refunded_minor += amount.amount_minor
    e.status = "terminated"
    e.ended_at = now
    refund = Refund(
        id=new_id(),
        organization_id=e.organization_id,
        payment_id=payment.id,
        invoice_id=invoice.id,
        patient_id=e.patient_id,
        amount_minor=amount.amount_minor,
        currency=amount.currency.value,
        basis=RefundBasis.EARLY_TERMINATION.value,
        method=payment.method,
        status="pending",
        source=f"termination:{e.id}:{payment.id}",
        ordered_at=now,
    )
    session.add(refund)
    await session.flush()
    await post(
        session,
        e.organization_id,
        movement(
            "refund_ordered",
            (Account.PROGRAM_DEFERRED_REVENUE, Account.REFUNDS_PAYABLE, amount, e.patient_id),
        ),
        ref_type="refund",
        ref_id=refund.id,
        at=now,
    )
    await _announce_enrollment(session, e, EnrollmentEnded, now)
    return refund


async def assign_manager(
    session: AsyncSession, principal: Principal, enrollment_id: UUID, contact: str
) -> Enrollment:
    """P 12.9.1 (BIL-12): the personal manager's contacts, due within 3 working days of purchase."""
    e = await visible_enrollment(session, principal, enrollment_id, access.ENROLL)
    e.manager_contact = contact
    await session.flush()
    return e


# --- surcharges (BIL-16, BIL-17) ---------------------------------------------------------------


async def program_price_on(session: AsyncSession, e: Enrollment, day: date) -> Money:
    program = await ProgramRepository(session).get(e.program_id)
    assert program is not None
    listed = await price_on(session, e.organization_id, program.service_code, day)
    return Money(listed.price_minor, Currency(listed.currency))


async def propose(
    session: AsyncSession,
    e: Enrollment,
    *,
    basis: str,
    percent: Decimal,
    amount: Money,
    source: str,
    detail: dict[str, object],
    now: datetime,
) -> Surcharge | None:
    if await ProgramRepository(session).surcharge_by_source(source) is not None:
        return None
    s = Surcharge(
        id=new_id(),
        organization_id=e.organization_id,
        enrollment_id=e.id,
        patient_id=e.patient_id,
        basis=basis,
        percent=percent,
        amount_minor=amount.amount_minor,
        currency=amount.currency.value,
        status="proposed",
        source=source,
        detail=detail,
        proposed_at=now,
    )
    session.add(s)
    await session.flush()
    await _announce_surcharge(session, s, SurchargeProposed, now)
    return s


async def _announce_surcharge(session: AsyncSession, s: Surcharge, event: type, now: datetime) -> None:
    await outbox.add(
        session,
        type=type_of(event),
        aggregate_id=s.id,
        org_id=s.organization_id,
        now=now,
        data=event(
            surcharge_id=s.id,
            enrollment_id=s.enrollment_id,
            patient_id=s.patient_id,
            basis=s.basis,
            amount=Money(s.amount_minor, Currency(s.currency)).to_decimal_string(),
            currency=s.currency,
        ),
    )


async def zone_changed(
    session: AsyncSession,
    enrollment_id: UUID,
    old_band: float | None,
    new_band: float | None,
    filed_on: date,
    *,
    source: str,
    now: datetime,
    old_percent: int | None = None,
    new_percent: int | None = None,
) -> Surcharge | None:
    """BIL-16: an address moved outside the base zone or into a farther band: propose the
    surcharge on the program price at the price list of the day the application was filed."""
    from billing.organization.domain import Band

    repo = ProgramRepository(session)
    e = await repo.enrollment(enrollment_id, for_update=True)
    if e is None:
        return None
    e.band_km = new_band
    price = await program_price_on(session, e, filed_on)
    if old_percent is not None or new_percent is not None:
        bands = [Band(new_band or 0.0, new_percent or 0)] if new_band else []
        if old_band:
            bands.append(Band(old_band, old_percent or 0))
    else:
        bands = await repo.bands(e.organization_id)  # learned from home-visits' zone.upserted
    decided = zone_surcharge(price, bands, old_band, new_band)
    if decided is None:
        await session.flush()
        return None
    percent, amount = decided
    return await propose(
        session,
        e,
        basis="zone_band",
        percent=percent,
        amount=amount,
        source=source,
        detail={
            "old_band_km": old_band,
            "new_band_km": new_band,
            "filed_on": filed_on.isoformat(),
            "rule": "BIL-16",
        },
        now=now,
    )


async def health_group_changed(
    session: AsyncSession,
    patient_id: UUID,
    established_on: date,
    health_group: str,
    *,
    source: str,
    now: datetime,
) -> list[Surcharge]:
    """BIL-17: health group 2B or 3: 50 % of the fee, pro rata from the day it was established."""
    out: list[Surcharge] = []
    for e in await ProgramRepository(session).enrollments_of_patient(patient_id, ("active", "suspended")):
        price = await program_price_on(session, e, max(min(established_on, e.ends_on), e.starts_on))
        decided = health_group_surcharge(price, e.starts_on, e.ends_on, established_on)
        if decided is None:
            continue
        percent, amount = decided
        s = await propose(
            session,
            e,
            basis="health_group",
            percent=percent,
            amount=amount,
            source=f"{source}:{e.id}",
            detail={
                "health_group": health_group,
                "established_on": established_on.isoformat(),
                "rule": "BIL-17",
            },
            now=now,
        )
        if s is not None:
            out.append(s)
    return out


async def decide_surcharge(
    session: AsyncSession, principal: Principal, surcharge_id: UUID, accepted: bool, now: datetime
) -> Surcharge:
    """The customer's answer: accepted, the surcharge is invoiced (prepaid, like the program);
    refused, service at the address is refused (BIL-16) or the program suspended (BIL-17)."""
    repo = ProgramRepository(session)
    s = await repo.surcharge(surcharge_id)
    if s is None or not access.can(access.DECIDE_SURCHARGE, principal, s.organization_id):
        raise SurchargeNotFound()
    if s.status != "proposed":
        raise SurchargeDecided()
    s.decided_at = now
    e = await repo.enrollment(s.enrollment_id, for_update=True)
    assert e is not None
    if accepted:
        s.status = "accepted"
        org = await OrganizationRepository(session).known(s.organization_id)
        invoice = new_invoice(
            org,
            s.patient_id,
            kind="surcharge",
            source=f"surcharge:{s.id}",
            payer=Payer(PayerKind.PATIENT),
            service_date=local_date(now, org.time_zone),
            now=now,
            enrollment_id=e.id,
        )
        session.add(invoice)
        await session.flush()
        amount = Money(s.amount_minor, Currency(s.currency))
        rule = "BIL-16" if s.basis == "zone_band" else "BIL-17"
        item = InvoiceItem(
            id=new_id(),
            invoice_id=invoice.id,
            service_code="program_surcharge",
            name=f"Доплата к программе ({rule})",
            category="program",
            quantity=1,
            unit_price_minor=amount.amount_minor,
            list_price_minor=amount.amount_minor,
            amount_minor=amount.amount_minor,
            status="planned",
            coverage=None,
            coverage_rule=rule,
            added_during_visit=False,
            paid_price_locked=False,
        )
        await charge(session, invoice, [item], now)
        s.invoice_id = invoice.id
        await session.flush()
        await announce(invoice, session, "surcharge", now)
        await _announce_surcharge(session, s, SurchargeAccepted, now)
    else:
        s.status = "refused"
        await session.flush()
        await _announce_surcharge(session, s, SurchargeRefused, now)
        if s.basis == "health_group" and e.status == "active":
            e.status = "suspended"
            await session.flush()
            await _announce_enrollment(session, e, EnrollmentSuspended, now)
    return s


async def covered_invoice_items(session: AsyncSession, invoice: Invoice) -> list[InvoiceItem]:
    return [i for i in await InvoiceRepository(session).items(invoice.id) if i.coverage == "program"]


def as_money(minor: int, currency: str) -> Money:
    return Money(minor, Currency(currency))
