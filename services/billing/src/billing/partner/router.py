"""HTTP layer of the partner-insurer API (BIL-19) and of insurers and policies (BIL-8)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from clinic_common.auth import OrganizationForbidden, Principal
from clinic_common.db import SessionDep
from clinic_common.money import Currency, Money, MoneyModel
from clinic_common.openapi import problems, unknown_entity
from clinic_common.schemas import LocalDate

from billing import access
from billing.partner import export, service
from billing.partner.models import InsurancePolicy, Insurer
from billing.partner.schemas import (
    ClaimPage,
    ClaimRead,
    CoverageCheck,
    GuaranteeRead,
    InsurerCreate,
    InsurerRead,
    LayoutPut,
    PolicyCreate,
    PolicyRead,
    Reason,
)

router = APIRouter(tags=["partner insurers"])

InsurersDep = Annotated[Principal, access.MANAGE_INSURERS.dependency()]
PolicyDep = Annotated[Principal, access.REGISTER_POLICY.dependency()]
PartnerDep = Annotated[Principal, access.PARTNER.dependency()]
ExportDep = Annotated[Principal, access.EXPORT_CLAIMS.dependency()]


def insurer_read(i: Insurer) -> InsurerRead:
    return InsurerRead(
        id=i.id, organization_id=i.organization_id, name=i.name, claim_layout=list(i.claim_layout)
    )


def policy_read(p: InsurancePolicy) -> PolicyRead:
    return PolicyRead(
        id=p.id,
        insurer_id=p.insurer_id,
        patient_id=p.patient_id,
        policy_number=p.policy_number,
        valid_from=p.valid_from,
        valid_to=p.valid_to,
        service_codes=p.service_codes,
    )


@router.post(
    "/v1/insurers",
    status_code=201,
    response_model=InsurerRead,
    responses=problems(OrganizationForbidden, unknown_entity("organization")),
)
async def create_insurer(
    request: Request, body: InsurerCreate, session: SessionDep, principal: InsurersDep
) -> InsurerRead:
    """A partner insurer with its claims-register layout (BIL-19)."""
    return insurer_read(await service.create_insurer(session, principal, body, request.app.state.clock.now()))


@router.put(
    "/v1/insurers/{insurer_id}/claim-layout",
    response_model=InsurerRead,
    responses=problems(service.InsurerNotFound),
)
async def put_layout(
    insurer_id: UUID, body: LayoutPut, session: SessionDep, principal: InsurersDep
) -> InsurerRead:
    """BIL-19: each insurer asks for its own columns."""
    insurer = await service.insurer_for(session, principal, insurer_id, access.MANAGE_INSURERS)
    insurer.claim_layout = [c.model_dump(mode="json") for c in body.columns]
    await session.flush()
    return insurer_read(insurer)


@router.post(
    "/v1/insurance-policies",
    status_code=201,
    response_model=PolicyRead,
    responses=problems(
        unknown_entity("patient"), service.InsurerNotFound, service.PolicyPeriodInvalid, service.PolicyExists
    ),
)
async def register_policy(
    request: Request, body: PolicyCreate, session: SessionDep, principal: PolicyDep
) -> PolicyRead:
    """BIL-8: the patient's voluntary insurance policy, shown at the registry."""
    return policy_read(await service.register_policy(session, principal, body, request.app.state.clock.now()))


@router.post(
    "/v1/partner/coverage-checks",
    status_code=201,
    response_model=GuaranteeRead,
    responses=problems(service.InsurerRequired, service.PolicyNotFound),
)
async def coverage_check(
    request: Request, body: CoverageCheck, session: SessionDep, principal: PartnerDep
) -> GuaranteeRead:
    """BIL-19: a coverage check for the insurer's insured patient; returns the guarantee decision."""
    g, price = await service.check_coverage(session, principal, body, request.app.state.clock.now())
    return GuaranteeRead(
        guarantee_id=g.id,
        decision=g.decision,
        patient_id=g.patient_id,
        service_code=g.service_code,
        date=g.service_date,
        reasons=[Reason(**r) for r in g.reasons],
        price=MoneyModel.of(price) if price is not None else None,
        created_at=g.created_at,
    )


@router.get("/v1/partner/claims", response_model=ClaimPage, responses=problems(service.InsurerRequired))
async def list_claims(
    session: SessionDep,
    principal: PartnerDep,
    from_: Annotated[LocalDate, Query(alias="from")],
    to: Annotated[LocalDate, Query()],
) -> ClaimPage:
    """BIL-19: the services rendered in the period to the insurer's own insured patients."""
    insurer_id = service.own_insurer(principal)
    found = await service.claims(session, insurer_id, principal.org_id, from_, to)
    return ClaimPage(
        insurer_id=insurer_id,
        items=[
            ClaimRead(
                claim_id=c.item.id,
                invoice_id=c.invoice.id,
                patient_id=c.invoice.patient_id,
                policy_number=c.policy_number,
                service_code=c.item.service_code,
                service_name=c.item.name,
                service_date=c.invoice.service_date,
                quantity=c.item.quantity,
                unit_price=MoneyModel.of(Money(c.item.unit_price_minor, Currency(c.invoice.currency))),
                amount=MoneyModel.of(Money(c.item.amount_minor, Currency(c.invoice.currency))),
            )
            for c in found
        ],
    )


@router.get(
    "/v1/insurers/{insurer_id}/claims-register",
    response_class=Response,
    responses={
        200: {
            "description": "The claims register in the insurer's layout",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        },
        **problems(service.InsurerNotFound),
    },
)
async def claims_register(
    insurer_id: UUID,
    session: SessionDep,
    principal: ExportDep,
    from_: Annotated[LocalDate, Query(alias="from")],
    to: Annotated[LocalDate, Query()],
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    """BIL-19: the claims register per insurer, in its configured columns, as CSV or XLSX."""
    insurer = await service.insurer_for(session, principal, insurer_id, access.EXPORT_CLAIMS)
    rows = [
        service.claim_row(c)
        for c in await service.claims(session, insurer.id, insurer.organization_id, from_, to)
    ]
    layout = service.layout_of(insurer)
    name = f"claims-{insurer.id}-{from_}-{to}"
    if format == "xlsx":
        return Response(
            export.to_xlsx(layout, rows, "Claims"),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        export.to_csv(layout, rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
