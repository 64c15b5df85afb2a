"""Partner-insurer use cases (BIL-8, BIL-19): insurers and policies, coverage checks that record a
guarantee decision, and claims for a period. An insurer sees only its own insured patients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.errors import AppError
from clinic_common.money import Currency, Money

from billing import access
from billing.catalog.repository import ServiceRepository
from billing.ids import new_id
from billing.invoice.models import Invoice, InvoiceItem
from billing.organization.repository import OrganizationRepository
from billing.partner.models import Guarantee, InsurancePolicy, Insurer
from billing.partner.schemas import DEFAULT_LAYOUT, CoverageCheck, InsurerCreate, PolicyCreate
from billing.patient.models import PatientProjection
from billing.patient.repository import PatientRepository
from billing.pricelist.service import price_on


class InsurerNotFound(AppError):
    status = 404
    code = "insurer_not_found"
    title = "No such insurer"


class PolicyNotFound(AppError):
    status = 404
    code = "policy_not_found"
    title = "No such policy among the insurer's insured"
    rule = "BIL-19"


class PolicyPeriodInvalid(AppError):
    status = 422
    code = "policy_period_invalid"
    title = "A policy's valid_to is not before its valid_from"
    rule = "BIL-8"


class PolicyExists(AppError):
    status = 409
    code = "policy_exists"
    title = "The insurer already has a policy with this number"


class InsurerRequired(AppError):
    status = 403
    code = "insurer_required"
    title = "The partner API acts for one insurer: the token needs `insurer_id`"
    rule = "BIL-19"


async def create_insurer(
    session: AsyncSession, principal: Principal, body: InsurerCreate, now: datetime
) -> Insurer:
    access.check_org(access.MANAGE_INSURERS, principal, body.organization_id)
    await OrganizationRepository(session).known(body.organization_id)
    insurer = Insurer(
        id=new_id(),
        organization_id=body.organization_id,
        name=body.name,
        claim_layout=[c.model_dump(mode="json") for c in body.claim_layout]
        if body.claim_layout
        else DEFAULT_LAYOUT,
        created_at=now,
    )
    session.add(insurer)
    await session.flush()
    return insurer


async def insurer_for(
    session: AsyncSession, principal: Principal, insurer_id: UUID, grant: object
) -> Insurer:
    from clinic_common.auth import Grant

    assert isinstance(grant, Grant)
    insurer = await session.get(Insurer, insurer_id)
    if insurer is None or not access.can(grant, principal, insurer.organization_id):
        raise InsurerNotFound()
    own = access.insurer_scope(principal)
    if own is not None and own != insurer.id:
        raise InsurerNotFound()
    return insurer


async def register_policy(
    session: AsyncSession, principal: Principal, body: PolicyCreate, now: datetime
) -> InsurancePolicy:
    """BIL-8: the policy shown at the registry with the identity document."""
    patient = await PatientRepository(session).known(body.patient_id)
    access.check_patient(access.REGISTER_POLICY, principal, patient.organization_id, patient.id)
    insurer = await session.get(Insurer, body.insurer_id)
    if insurer is None or insurer.organization_id != patient.organization_id:
        raise InsurerNotFound()
    if body.valid_to < body.valid_from:
        raise PolicyPeriodInvalid()
    exists = await session.scalar(
        select(InsurancePolicy.id).where(
            InsurancePolicy.insurer_id == insurer.id, InsurancePolicy.policy_number == body.policy_number
        )
    )
    if exists is not None:
        raise PolicyExists()
    policy = InsurancePolicy(
        id=new_id(),
        organization_id=patient.organization_id,
        insurer_id=insurer.id,
        patient_id=patient.id,
        policy_number=body.policy_number,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        service_codes=sorted(set(body.service_codes)) if body.service_codes else None,
        created_at=now,
    )
    session.add(policy)
    await session.flush()
    return policy


def own_insurer(principal: Principal) -> UUID:
    if principal.insurer_id is None:
        raise InsurerRequired()
    return principal.insurer_id


async def check_coverage(
    session: AsyncSession, principal: Principal, body: CoverageCheck, now: datetime
) -> tuple[Guarantee, Money | None]:
    """BIL-19: the insurer confirms coverage for its insured patient: the policy must be its own
    (anyone else's answers 404, revealing nothing), in force on the date, and cover the service;
    the decision is recorded as the guarantee the claim will cite."""
    insurer_id = own_insurer(principal)
    policy = await session.scalar(
        select(InsurancePolicy).where(
            InsurancePolicy.insurer_id == insurer_id, InsurancePolicy.policy_number == body.policy_number
        )
    )
    if policy is None:
        raise PolicyNotFound()
    reasons: list[dict[str, str]] = []
    if not policy.valid_from <= body.date <= policy.valid_to:
        reasons.append(
            {"rule": "BIL-8", "detail": f"the policy is valid {policy.valid_from}..{policy.valid_to}"}
        )
    if policy.service_codes is not None and body.service_code not in policy.service_codes:
        reasons.append({"rule": "BIL-19", "detail": "the policy does not cover this service"})
    price: Money | None = None
    service = await ServiceRepository(session).by_codes(policy.organization_id, {body.service_code})
    if body.service_code not in service:
        reasons.append({"rule": "BIL-1", "detail": "the organization does not render this service"})
    else:
        try:
            listed = await price_on(session, policy.organization_id, body.service_code, body.date)
            price = Money(listed.price_minor, Currency(listed.currency))
        except AppError:
            reasons.append({"rule": "BIL-1", "detail": "no price in force on that date"})
    decision = "denied" if reasons else "approved"
    if not reasons:
        reasons.append({"rule": "BIL-19", "detail": "insured, policy in force, service covered"})
    g = Guarantee(
        id=new_id(),
        insurer_id=insurer_id,
        policy_id=policy.id,
        patient_id=policy.patient_id,
        service_code=body.service_code,
        service_date=body.date,
        decision=decision,
        reasons=reasons,
        created_at=now,
    )
    session.add(g)
    await session.flush()
    return g, price


@dataclass(frozen=True)
class Claim:
    item: InvoiceItem
    invoice: Invoice
    patient: PatientProjection | None
    policy_number: str | None


async def claims(
    session: AsyncSession, insurer_id: UUID, organization_id: UUID | None, start: date, end: date
) -> list[Claim]:
    """BIL-19: services rendered in the period to the insurer's insured, paid by the insurer."""
    stmt = (
        select(InvoiceItem, Invoice)
        .join(Invoice, Invoice.id == InvoiceItem.invoice_id)
        .where(
            Invoice.payer_kind == "insurer",
            Invoice.payer_ref == str(insurer_id),
            Invoice.service_date >= start,
            Invoice.service_date <= end,
            InvoiceItem.status == "rendered",
        )
        .order_by(Invoice.service_date, InvoiceItem.id)
    )
    if organization_id is not None:
        stmt = stmt.where(Invoice.organization_id == organization_id)
    rows = (await session.execute(stmt)).all()
    out: list[Claim] = []
    for item, invoice in rows:
        patient = await session.get(PatientProjection, invoice.patient_id)
        number = await session.scalar(
            select(InsurancePolicy.policy_number)
            .where(InsurancePolicy.insurer_id == insurer_id, InsurancePolicy.patient_id == invoice.patient_id)
            .limit(1)
        )
        out.append(Claim(item, invoice, patient, number))
    return out


def claim_row(c: Claim) -> dict[str, str]:
    cur = Currency(c.invoice.currency)
    p = c.patient
    return {
        "claim_id": str(c.item.id),
        "invoice_id": str(c.invoice.id),
        "policy_number": c.policy_number or "",
        "patient_id": str(c.invoice.patient_id),
        "patient_name": " ".join(x for x in (p.last_name, p.first_name, p.middle_name) if x) if p else "",
        "birth_date": p.birth_date.isoformat() if p else "",
        "service_code": c.item.service_code,
        "service_name": c.item.name,
        "service_date": c.invoice.service_date.isoformat(),
        "quantity": str(c.item.quantity),
        "unit_price": Money(c.item.unit_price_minor, cur).to_decimal_string(),
        "amount": Money(c.item.amount_minor, cur).to_decimal_string(),
        "currency": c.invoice.currency,
        "guarantee_id": "",
    }


def layout_of(insurer: Insurer) -> Sequence[dict[str, str]]:
    return insurer.claim_layout or DEFAULT_LAYOUT
