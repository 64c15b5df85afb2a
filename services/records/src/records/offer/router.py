"""HTTP layer of offer versions, acceptances and contracts (REC-3, REC-4, ORG-3)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from records import access
from records.offer import service
from records.offer.domain import NoOfferInForce, OfferNoticeTooShort
from records.offer.models import Contract, OfferAcceptance, OfferVersion
from records.offer.schemas import AcceptanceRead, ContractCreate, ContractRead, OfferCreate, OfferRead

router = APIRouter(tags=["offer and contracts"])

PublisherDep = Annotated[Principal, access.PUBLISH_OFFER.dependency()]
OfferReaderDep = Annotated[Principal, access.READ_OFFER.dependency()]
RegistryDep = Annotated[Principal, access.CONTRACTS.dependency()]
ContractReaderDep = Annotated[Principal, access.READ_CONTRACTS.dependency()]


def to_offer(v: OfferVersion) -> OfferRead:
    return OfferRead(
        id=v.id,
        organization_id=v.organization_id,
        title=v.title,
        published_on=v.published_on,
        effective_from=v.effective_from,
        valid_to=v.valid_to,
        notice_recorded_at=v.notice_recorded_at,
        notice_working_days=v.notice_working_days,
    )


def to_acceptance(a: OfferAcceptance) -> AcceptanceRead:
    return AcceptanceRead(
        id=a.id,
        patient_id=a.patient_id,
        offer_version_id=a.offer_version_id,
        act=a.act,
        act_ref=a.act_ref,
        accepted_at=a.accepted_at,
    )


def to_contract(c: Contract) -> ContractRead:
    return ContractRead(
        id=c.id,
        patient_id=c.patient_id,
        customer_id=c.customer_id,
        number=c.number,
        concluded_on=c.concluded_on,
        copies=c.copies,
        signed_at=c.signed_at,
    )


@router.post(
    "/v1/offers",
    status_code=201,
    response_model=OfferRead,
    responses=problems(
        OrganizationForbidden,
        unknown_entity("organization"),
        OfferNoticeTooShort,
        service.OfferDateTaken,
        service.OfferValidity,
    ),
)
async def publish_offer(
    request: Request, body: OfferCreate, session: SessionDep, principal: PublisherDep
) -> OfferRead:
    """ORG-3: a new version, published today, taking effect after the notice; the notice is recorded."""
    return to_offer(await service.publish_offer(session, principal, body, request.app.state.clock.now()))


@router.get(
    "/v1/offers",
    response_model=Page[OfferRead],
    responses=problems(OrganizationForbidden, access.PatientNotFound),
)
async def list_offers(
    organization_id: UUID, session: SessionDep, principal: OfferReaderDep
) -> Page[OfferRead]:
    return Page(items=[to_offer(v) for v in await service.list_offers(session, principal, organization_id)])


@router.post(
    "/v1/patients/{patient_id}/offer-acceptances",
    status_code=201,
    response_model=AcceptanceRead,
    responses=problems(access.PatientNotFound, NoOfferInForce, unknown_entity("organization")),
)
async def accept_by_signature(
    request: Request, patient_id: UUID, session: SessionDep, principal: RegistryDep
) -> AcceptanceRead:
    """REC-3: acceptance by signature, once per version (a repeat answers the acceptance on record)."""
    return to_acceptance(
        await service.accept_by_signature(session, principal, patient_id, request.app.state.clock.now())
    )


@router.get(
    "/v1/patients/{patient_id}/offer-acceptances",
    response_model=Page[AcceptanceRead],
    responses=problems(access.PatientNotFound),
)
async def acceptances(
    patient_id: UUID, session: SessionDep, principal: ContractReaderDep
) -> Page[AcceptanceRead]:
    return Page(items=[to_acceptance(a) for a in await service.acceptances(session, principal, patient_id)])


@router.post(
    "/v1/patients/{patient_id}/contracts",
    status_code=201,
    response_model=ContractRead,
    responses=problems(access.PatientNotFound, service.CustomerUnknown, unknown_entity("organization")),
)
async def conclude_contract(
    request: Request, patient_id: UUID, body: ContractCreate, session: SessionDep, principal: RegistryDep
) -> ContractRead:
    """REC-4: a written contract with the number of copies P 4.3 sets."""
    return to_contract(
        await service.conclude_contract(session, principal, patient_id, body, request.app.state.clock.now())
    )


@router.get(
    "/v1/patients/{patient_id}/contracts",
    response_model=Page[ContractRead],
    responses=problems(access.PatientNotFound),
)
async def contracts(
    patient_id: UUID, session: SessionDep, principal: ContractReaderDep
) -> Page[ContractRead]:
    return Page(items=[to_contract(c) for c in await service.contracts(session, principal, patient_id)])
