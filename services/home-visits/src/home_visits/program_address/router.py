"""HTTP layer of program home-care addresses (HV-8)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from clinic_common.auth import Principal
from clinic_common.db import SessionDep
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import Page

from home_visits import access
from home_visits.program_address import service
from home_visits.program_address.domain import (
    AddressChangeNotAllowed,
    AddressesAlreadyAgreed,
    InvalidInterval,
)
from home_visits.program_address.models import ProgramAddress, SupplementaryAgreement
from home_visits.program_address.repository import ProgramAddressRepository
from home_visits.program_address.schemas import (
    AddressChangeCreate,
    AddressesAgree,
    AgreementRead,
    IntervalRead,
    ProgramAddressRead,
)
from home_visits.zone.domain import AddressOutsideServiceZones

router = APIRouter(prefix="/v1/enrollments/{enrollment_id}", tags=["program addresses"])

AgreeDep = Annotated[Principal, access.AGREE_ADDRESSES.dependency()]
ApplyDep = Annotated[Principal, access.APPLY_ADDRESS_CHANGE.dependency()]
ReadDep = Annotated[Principal, access.READ_ADDRESSES.dependency()]

ENROLLMENT_PROBLEMS = (access.EnrollmentNotFound, unknown_entity("enrollment"))


def to_read(a: ProgramAddress) -> ProgramAddressRead:
    return ProgramAddressRead(
        id=a.id,
        enrollment_id=a.enrollment_id,
        text=a.text,
        lat=a.lat,
        lon=a.lon,
        window=IntervalRead(start=a.window_start, end=a.window_end),
        band_upper_km=a.band_upper_km,
        surcharge_percent=a.surcharge_percent,
        valid_from=a.valid_from,
        valid_to=a.valid_to,
    )


@router.put(
    "/addresses",
    response_model=Page[ProgramAddressRead],
    responses=problems(
        *ENROLLMENT_PROBLEMS,
        AddressesAlreadyAgreed,
        AddressChangeNotAllowed,
        InvalidInterval,
        AddressOutsideServiceZones,
    ),
)
async def agree_addresses(
    request: Request, enrollment_id: UUID, body: AddressesAgree, session: SessionDep, principal: AgreeDep
) -> Page[ProgramAddressRead]:
    """HV-8: the contract's one or two home-care addresses with their agreed intervals (recorded once;
    later changes go by application)."""
    now = request.app.state.clock.now()
    rows = await service.agree_addresses(session, principal, enrollment_id, body.addresses, now)
    return Page(items=[to_read(r) for r in rows])


@router.get("/addresses", response_model=Page[ProgramAddressRead], responses=problems(*ENROLLMENT_PROBLEMS))
async def list_addresses(
    enrollment_id: UUID, session: SessionDep, principal: ReadDep
) -> Page[ProgramAddressRead]:
    rows = await service.list_addresses(session, principal, enrollment_id)
    return Page(items=[to_read(r) for r in rows])


@router.post(
    "/address-changes",
    status_code=201,
    response_model=AgreementRead,
    responses=problems(
        *ENROLLMENT_PROBLEMS,
        unknown_entity("organization"),
        AddressChangeNotAllowed,
        InvalidInterval,
        AddressOutsideServiceZones,
    ),
)
async def change_addresses(
    request: Request, enrollment_id: UUID, body: AddressChangeCreate, session: SessionDep, principal: ApplyDep
) -> AgreementRead:
    """HV-8: the program's one address change by application (at least 5 working days ahead, at least
    two months left), recorded as a supplementary agreement; a band change goes to billing (BIL-16)."""
    now = request.app.state.clock.now()
    agreement = await service.change_addresses(
        session, request.app.state.outbox, principal, enrollment_id, body, now
    )
    return await to_agreement(session, agreement)


async def to_agreement(session: SessionDep, a: SupplementaryAgreement) -> AgreementRead:
    rows = await ProgramAddressRepository(session).current(a.enrollment_id)
    return AgreementRead(
        id=a.id,
        number=a.number,
        enrollment_id=a.enrollment_id,
        action=a.action,
        filed_on=a.filed_on,
        effective_on=a.effective_on,
        filed_at=a.filed_at,
        old_band_km=a.old_band_km,
        new_band_km=a.new_band_km,
        old_surcharge_percent=a.old_surcharge_percent,
        new_surcharge_percent=a.new_surcharge_percent,
        band_changed=(a.old_band_km, a.old_surcharge_percent) != (a.new_band_km, a.new_surcharge_percent),
        addresses=[to_read(r) for r in rows],
    )
