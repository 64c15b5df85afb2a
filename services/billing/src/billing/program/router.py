"""HTTP layer of programs, enrolments, coverage and surcharges (BIL-12 to BIL-18)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.calendar import local_date
from clinic_common.db import SessionDep
from clinic_common.money import Currency, Money, MoneyModel
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import LocalDate

from billing import access
from billing.catalog.repository import ServiceUnknown
from billing.pricelist.domain import PriceListNotFound
from billing.program import service
from billing.program.coverage import coverage_for
from billing.program.domain import (
    EnrollmentNotAllowed,
    EnrollmentNotFound,
    ProgramExists,
    ProgramNotFound,
    SurchargeDecided,
    SurchargeNotFound,
)
from billing.program.models import Enrollment, Program, Surcharge
from billing.program.repository import ProgramRepository
from billing.program.schemas import (
    CoverageRead,
    EnrollmentCreate,
    EnrollmentRead,
    ExclusionRead,
    IncludedRead,
    ManagerAssign,
    ProgramCreate,
    ProgramRead,
    Reason,
    SurchargeRead,
    Terms,
)

router = APIRouter(tags=["programs"])

ManagerDep = Annotated[Principal, access.MANAGE_PROGRAMS.dependency()]
ReaderDep = Annotated[Principal, access.READ_PROGRAMS.dependency()]
EnrollDep = Annotated[Principal, access.ENROLL.dependency()]
CoverageDep = Annotated[Principal, access.READ_COVERAGE.dependency()]
SurchargeDep = Annotated[Principal, access.DECIDE_SURCHARGE.dependency()]


async def program_read(session: AsyncSession, p: Program) -> ProgramRead:
    repo = ProgramRepository(session)
    return ProgramRead(
        id=p.id,
        organization_id=p.organization_id,
        service_code=p.service_code,
        name=p.name,
        duration_months=p.duration_months,
        urgent_home_care=p.urgent_home_care,
        referral_required=p.referral_required,
        home_care_in_base_zone=p.home_care_in_base_zone,
        documents=list(p.documents or []),
        included=[
            IncludedRead(
                service_code=s.service_code,
                times=s.times,
                terms=list(s.terms or []),
                without_referral=s.without_referral,
                preventive_month=s.preventive_month,
            )
            for s in await repo.services_of(p.id)
        ],
        exclusions=[
            ExclusionRead(kind=e.kind, code=e.code, name=e.name, source=e.source)
            for e in await repo.exclusions_of(p.id)
        ],
    )


def enrollment_read(e: Enrollment) -> EnrollmentRead:
    cur = Currency(e.currency)
    return EnrollmentRead(
        id=e.id,
        program_id=e.program_id,
        patient_id=e.patient_id,
        invoice_id=e.invoice_id,
        starts_on=e.starts_on,
        ends_on=e.ends_on,
        status=e.status,
        price=MoneyModel.of(Money(e.price_minor, cur)),
        used=MoneyModel.of(Money(e.used_minor, cur)),
        manager_contacts_due_on=e.manager_contacts_due_on,
        manager_contact=e.manager_contact,
        created_at=e.created_at,
    )


def surcharge_read(s: Surcharge) -> SurchargeRead:
    return SurchargeRead(
        id=s.id,
        enrollment_id=s.enrollment_id,
        basis=s.basis,
        percent=f"{s.percent:.4f}",
        amount=MoneyModel.of(Money(s.amount_minor, Currency(s.currency))),
        status=s.status,
        invoice_id=s.invoice_id,
        proposed_at=s.proposed_at,
        decided_at=s.decided_at,
    )


@router.post(
    "/v1/programs",
    status_code=201,
    response_model=ProgramRead,
    responses=problems(OrganizationForbidden, unknown_entity("organization"), ServiceUnknown, ProgramExists),
)
async def create_program(
    request: Request, body: ProgramCreate, session: SessionDep, principal: ManagerDep
) -> ProgramRead:
    """BIL-12/BIL-13: a program with its included services, how often each, and its exclusions as data."""
    program = await service.create_program(session, principal, body, request.app.state.clock.now())
    return await program_read(session, program)


class ProgramPage(BaseModel):
    items: list[ProgramRead]
    next_cursor: str | None = None


@router.get("/v1/programs", response_model=ProgramPage, responses=problems())
async def list_programs(
    session: SessionDep, principal: ReaderDep, org: Annotated[UUID | None, Query()] = None
) -> ProgramPage:
    """The organization's program catalogue (BIL-12)."""
    organization = org or principal.org_id
    if organization is None or not access.can(
        access.READ_PROGRAMS, principal, organization, principal.patient_id
    ):
        return ProgramPage(items=[])
    programs = await ProgramRepository(session).of_organization(organization)
    return ProgramPage(items=[await program_read(session, p) for p in programs])


@router.get("/v1/programs/{program_id}", response_model=ProgramRead, responses=problems(ProgramNotFound))
async def read_program(program_id: UUID, session: SessionDep, principal: ReaderDep) -> ProgramRead:
    return await program_read(session, await service.get_program(session, principal, program_id))


@router.post(
    "/v1/enrollments",
    status_code=201,
    response_model=EnrollmentRead,
    responses=problems(
        unknown_entity("patient"),
        unknown_entity("organization"),
        ProgramNotFound,
        EnrollmentNotAllowed,
        ServiceUnknown,
        PriceListNotFound,
    ),
)
async def enroll(
    request: Request, body: EnrollmentCreate, session: SessionDep, principal: EnrollDep
) -> EnrollmentRead:
    """BIL-12: enrol a patient; the program's invoice is prepaid (an advance receipt), and the
    enrolment is in force once paid (`enrollment.created`)."""
    return enrollment_read(await service.enroll(session, principal, body, request.app.state.clock.now()))


@router.get(
    "/v1/enrollments/{enrollment_id}", response_model=EnrollmentRead, responses=problems(EnrollmentNotFound)
)
async def read_enrollment(enrollment_id: UUID, session: SessionDep, principal: CoverageDep) -> EnrollmentRead:
    return enrollment_read(
        await service.visible_enrollment(session, principal, enrollment_id, access.READ_COVERAGE)
    )


@router.get(
    "/v1/enrollments/{enrollment_id}/coverage",
    response_model=CoverageRead,
    responses=problems(EnrollmentNotFound, ServiceUnknown, PriceListNotFound),
)
async def coverage(
    request: Request,
    enrollment_id: UUID,
    session: SessionDep,
    principal: CoverageDep,
    service_code: Annotated[str, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")],
    date: Annotated[LocalDate | None, Query(description="The day of the service; default today")] = None,
    referral_id: Annotated[UUID | None, Query()] = None,
    terms: Annotated[Terms, Query()] = Terms.CLINIC,
    diagnosis: Annotated[str | None, Query(pattern=r"^[A-Za-z][0-9]{2}(\.[0-9A-Za-z]{1,4})?$")] = None,
) -> CoverageRead:
    """BIL-13: covered or charged, with the rule IDs that decided, and the price in force (BIL-1)."""
    e = await service.visible_enrollment(session, principal, enrollment_id, access.READ_COVERAGE)
    from billing.invoice.views import time_zone_of

    day = date or local_date(request.app.state.clock.now(), await time_zone_of(session, e.organization_id))
    found = await coverage_for(
        session,
        e.organization_id,
        e.id,
        service_code,
        day,
        referral_id=referral_id,
        patient_id=e.patient_id,
        terms=terms.value,
        diagnosis=diagnosis,
    )
    return CoverageRead(
        covered=found.decision.covered,
        payer=found.decision.payer,
        reasons=[Reason(rule=r.rule, detail=r.detail) for r in found.decision.reasons],
        price=MoneyModel.of(found.price) if found.price is not None else None,
    )


@router.post(
    "/v1/enrollments/{enrollment_id}/manager",
    response_model=EnrollmentRead,
    responses=problems(EnrollmentNotFound),
)
async def assign_manager(
    enrollment_id: UUID, body: ManagerAssign, session: SessionDep, principal: EnrollDep
) -> EnrollmentRead:
    """P 12.9.1 (BIL-12): the personal manager's contacts, due within 3 working days of purchase."""
    return enrollment_read(await service.assign_manager(session, principal, enrollment_id, body.contact))


@router.post(
    "/v1/surcharges/{surcharge_id}/accept",
    response_model=SurchargeRead,
    responses=problems(SurchargeNotFound, SurchargeDecided, unknown_entity("organization")),
)
async def accept_surcharge(
    request: Request, surcharge_id: UUID, session: SessionDep, principal: SurchargeDep
) -> SurchargeRead:
    """BIL-16/BIL-17: the customer accepts; the surcharge is invoiced."""
    return surcharge_read(
        await service.decide_surcharge(session, principal, surcharge_id, True, request.app.state.clock.now())
    )


@router.post(
    "/v1/surcharges/{surcharge_id}/refuse",
    response_model=SurchargeRead,
    responses=problems(SurchargeNotFound, SurchargeDecided),
)
async def refuse_surcharge(
    request: Request, surcharge_id: UUID, session: SessionDep, principal: SurchargeDep
) -> SurchargeRead:
    """BIL-16: refused, service at the address is refused; BIL-17: the program is suspended."""
    return surcharge_read(
        await service.decide_surcharge(session, principal, surcharge_id, False, request.app.state.clock.now())
    )
