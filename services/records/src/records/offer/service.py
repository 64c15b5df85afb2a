"""Offer versions, acceptances and written contracts (REC-3, REC-4, ORG-3). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import Country, local_date
from clinic_common.errors import AppError, Conflict

from records import access
from records.offer.domain import (
    AcceptanceAct,
    NoOfferInForce,
    OfferPeriod,
    check_offer_notice,
    contract_copies,
    default_valid_to,
    offer_in_force,
)
from records.offer.models import Contract, OfferAcceptance, OfferVersion
from records.offer.schemas import ContractCreate, OfferCreate
from records.patient.context import context_of, load_patient, organization
from records.patient.domain import age_on
from records.patient.models import Consent, Patient
from records.policy import policy_of


class OfferDateTaken(Conflict):
    code = "offer_date_taken"
    title = "A version already takes effect on that date"
    rule = "ORG-3"


class OfferValidity(AppError):
    status = 422
    code = "offer_validity_invalid"
    title = "An offer version is valid from its effective date to a later date"
    rule = "REC-3"


class CustomerUnknown(AppError):
    status = 422
    code = "customer_unknown"
    title = "Register the customer first"
    rule = "REC-4"


async def publish_offer(
    session: AsyncSession, principal: Principal, body: OfferCreate, now: datetime
) -> OfferVersion:
    """ORG-3 (O 15.1): published and notified at least the policy's working days (5) before it takes
    effect; the notice is recorded with the version and sent to every patient with a cabinet."""
    access.check_can_act_in(access.PUBLISH_OFFER, principal, body.organization_id)
    org = await organization(session, body.organization_id)
    published_on = local_date(now, org.time_zone)
    policy = policy_of(org, published_on)  # ORG-3: the notice term in force when publishing
    check_offer_notice(
        Country(org.country), published_on, body.effective_from, policy.offer_change_notice_working_days
    )
    valid_to = body.valid_to or default_valid_to(body.effective_from)
    if valid_to <= body.effective_from:
        raise OfferValidity()
    version = OfferVersion(
        id=uuid.uuid4(),
        organization_id=body.organization_id,
        title=body.title,
        text=body.text,
        published_on=published_on,
        effective_from=body.effective_from,
        valid_to=valid_to,
        notice_recorded_at=now,
        notice_working_days=policy.offer_change_notice_working_days,
        published_by=principal.subject,
    )
    try:
        async with session.begin_nested():
            session.add(version)
            await session.flush()
    except IntegrityError as exc:
        raise OfferDateTaken() from exc
    from records.notification.service import notify_offer_change  # notifications depend on offers

    await notify_offer_change(session, version, now)
    return version


async def list_offers(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID
) -> Sequence[OfferVersion]:
    if not access.READ_OFFER.as_staff(principal) and principal.org_id != organization_id:
        raise access.PatientNotFound()
    if access.READ_OFFER.as_staff(principal):
        access.check_can_act_in(access.READ_OFFER, principal, organization_id)
    stmt = (
        select(OfferVersion)
        .where(OfferVersion.organization_id == organization_id)
        .order_by(OfferVersion.effective_from)
    )
    return (await session.execute(stmt)).scalars().all()


async def accept(
    session: AsyncSession, patient: Patient, act: AcceptanceAct, act_ref: str | None, at: datetime
) -> OfferAcceptance | None:
    """REC-3: the act accepts the version in force on its local date, once per version (the
    database's unique key settles repeats and races); O 7.10.2: under the O preset photo/video
    consent comes with the acceptance (REC-2)."""
    org = await organization(session, patient.organization_id)
    on = local_date(at, org.time_zone)
    rows = (
        (
            await session.execute(
                select(OfferVersion).where(OfferVersion.organization_id == patient.organization_id)
            )
        )
        .scalars()
        .all()
    )
    period = offer_in_force([OfferPeriod(v.id, v.effective_from, v.valid_to) for v in rows], on)
    if period is None:
        return None
    inserted = await session.execute(
        pg_insert(OfferAcceptance)
        .values(
            id=uuid.uuid4(),
            patient_id=patient.id,
            offer_version_id=period.id,
            act=act.value,
            act_ref=act_ref,
            accepted_at=at,
        )
        .on_conflict_do_nothing()
        .returning(OfferAcceptance.id)
    )
    accepted_id = inserted.scalar_one_or_none()
    if accepted_id is None:
        return None
    if policy_of(org, on).photo_video_consent_with_offer:  # ORG-3: in force on the act's day
        session.add(
            Consent(
                id=uuid.uuid4(),
                patient_id=patient.id,
                kind="photo_video",
                channel="offer_acceptance",
                given_at=at,
                recorded_by=f"offer:{period.id}",
                given=True,
                signed_by=patient.id,
                signer_role="patient",
            )
        )
    return await session.get(OfferAcceptance, accepted_id)


async def accept_by_signature(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, now: datetime
) -> OfferAcceptance:
    """REC-3: signing at the registry accepts the version in force (answers the one on record)."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.CONTRACTS, principal, patient)
    accepted = await accept(session, patient, AcceptanceAct.SIGNATURE, principal.subject, now)
    if accepted is not None:
        return accepted
    existing = await _current_acceptance(session, patient, now)
    if existing is None:
        raise NoOfferInForce()
    return existing


async def _current_acceptance(
    session: AsyncSession, patient: Patient, now: datetime
) -> OfferAcceptance | None:
    org = await organization(session, patient.organization_id)
    on = local_date(now, org.time_zone)
    stmt = (
        select(OfferAcceptance)
        .join(OfferVersion, OfferVersion.id == OfferAcceptance.offer_version_id)
        .where(
            OfferAcceptance.patient_id == patient.id,
            OfferVersion.effective_from <= on,
            OfferVersion.valid_to > on,
        )
        .order_by(OfferVersion.effective_from.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def acceptances(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID
) -> Sequence[OfferAcceptance]:
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.READ_CONTRACTS, principal, patient)
    stmt = (
        select(OfferAcceptance)
        .where(OfferAcceptance.patient_id == patient.id)
        .order_by(OfferAcceptance.accepted_at)
    )
    return (await session.execute(stmt)).scalars().all()


async def conclude_contract(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID, body: ContractCreate, now: datetime
) -> Contract:
    """REC-4: written, before the first visit, without end date; 2 or 3 copies (P 4.3). Signing
    it also accepts the offer in force (REC-3)."""
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.CONTRACTS, principal, patient)
    ctx = await context_of(session, patient, now)
    customer_id = body.customer_id or patient.id
    if customer_id != patient.id:
        customer = await session.get(Patient, customer_id)
        if customer is None or customer.organization_id != patient.organization_id:
            raise CustomerUnknown(customer_id=str(customer_id))
    contract_id = uuid.uuid4()
    contract = Contract(
        id=contract_id,
        organization_id=patient.organization_id,
        patient_id=patient.id,
        customer_id=customer_id,
        number=f"{ctx.today:%Y%m%d}-{contract_id.hex[:12].upper()}",
        concluded_on=ctx.today,
        copies=contract_copies(
            customer_is_patient=customer_id == patient.id, patient_age=age_on(patient.birth_date, ctx.today)
        ),
        signed_at=now,
        recorded_by=principal.subject,
    )
    session.add(contract)
    await session.flush()
    await accept(session, patient, AcceptanceAct.SIGNATURE, f"contract:{contract.id}", now)
    return contract


async def contracts(session: AsyncSession, principal: Principal, patient_id: uuid.UUID) -> Sequence[Contract]:
    patient = await load_patient(session, patient_id)
    await access.check_patient(session, access.READ_CONTRACTS, principal, patient)
    stmt = select(Contract).where(Contract.patient_id == patient.id).order_by(Contract.signed_at)
    return (await session.execute(stmt)).scalars().all()
