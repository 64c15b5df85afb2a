"""What programs learn from the other services: referrals (records), health groups (BIL-17),
distance bands and address changes (home-visits, BIL-16), and home-visit outcomes (BIL-15)."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from clinic_common.calendar import local_date
from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler, HandlerContext
from clinic_common.events.payloads.home_visits import (
    AddressChangeAccepted,
    BiomaterialNotReady,
    HomeVisitCompleted,
    HomeVisitFalseCall,
    ZoneUpserted,
)
from clinic_common.events.payloads.records import HealthGroupChanged, ReferralIssued, ReferralUsed
from clinic_common.events.projection import upsert_projection

from billing.catalog.repository import ServiceRepository
from billing.ids import new_id
from billing.invoice.service import Line, issue_charge
from billing.organization.repository import OrganizationRepository
from billing.program import service
from billing.program.coverage import coverage_of_line
from billing.program.domain import RAISING_HEALTH_GROUPS
from billing.program.models import DistanceBandProjection, ReferralProjection

FALSE_CALL_SERVICE = "home_visit_false_call"  # P 7.10, P 12.5.2: charged at the price list
SAMPLES_NOT_READY_SERVICE = "home_sample_collection"  # P 12.3.4
HOME_VISIT_SERVICES = {"planned": "home_visit_planned", "urgent": "home_visit_urgent"}


async def on_referral_issued(ctx: HandlerContext) -> None:
    data = ctx.data(ReferralIssued)
    await upsert_projection(
        ctx.session,
        ReferralProjection.__table__,  # type: ignore[arg-type]
        {
            "id": data.referral_id,
            "patient_id": data.patient_id,
            "organization_id": data.organization_id,
            "service_code": data.service_code,
            "issued_on": data.issued_on,
            "valid_until": data.valid_until,
            "used": False,
        },
        ctx.envelope,
    )


async def on_referral_used(ctx: HandlerContext) -> None:
    data = ctx.data(ReferralUsed)
    await ctx.session.execute(
        update(ReferralProjection).where(ReferralProjection.id == data.referral_id).values(used=True)
    )


async def on_zone_upserted(ctx: HandlerContext) -> None:
    """BIL-16: the organization's distance bands, owned by home-visits, carried on its zones."""
    data = ctx.data(ZoneUpserted)
    if not data.distance_bands:
        return
    await ctx.session.execute(
        delete(DistanceBandProjection).where(DistanceBandProjection.organization_id == data.organization_id)
    )
    for band in data.distance_bands:
        await ctx.session.execute(
            pg_insert(DistanceBandProjection)
            .values(
                id=new_id(),
                organization_id=data.organization_id,
                up_to_km=band.upper_km,
                surcharge_percent=band.surcharge_percent,
            )
            .on_conflict_do_nothing()
        )


async def on_address_change(ctx: HandlerContext) -> None:
    """BIL-16: a home-care address moved outside the base zone or into another band."""
    data = ctx.data(AddressChangeAccepted)
    if data.old_band_km == data.new_band_km and not data.band_changed:
        return
    await service.zone_changed(
        ctx.session,
        data.enrollment_id,
        data.old_band_km,
        data.new_band_km,
        data.filed_on or data.effective_on,
        source=f"address_change:{ctx.envelope.id}",
        now=ctx.now,
        old_percent=data.old_surcharge_percent,
        new_percent=data.new_surcharge_percent,
    )


async def on_health_group(ctx: HandlerContext) -> None:
    """BIL-17 (REC-12): health group 2B or 3 raises the fee by 50 %, pro rata."""
    data = ctx.data(HealthGroupChanged)
    if data.health_group.upper() not in RAISING_HEALTH_GROUPS:
        return
    await service.health_group_changed(
        ctx.session,
        data.patient_id,
        data.established_on,
        data.health_group,
        source=f"health_group:{ctx.envelope.id}",
        now=ctx.now,
    )


async def on_false_call(ctx: HandlerContext) -> None:
    """BIL-15/HV-7: a false home call is charged at the price list, unless waived."""
    data = ctx.data(HomeVisitFalseCall)
    if data.waived:
        return
    org = await OrganizationRepository(ctx.session).known(data.organization_id)
    at = data.recorded_at or ctx.envelope.time
    await issue_charge(
        ctx.session,
        org,
        data.patient_id,
        [Line(data.service_code or FALSE_CALL_SERVICE)],
        kind="charge",
        source=f"false_call:{data.home_visit_id}",
        at=at,
        now=ctx.now,
    )


async def on_biomaterial_not_ready(ctx: HandlerContext) -> None:
    """BIL-15 (P 12.3.4): samples not ready at the doctor's visit: collection at home is charged."""
    data = ctx.data(BiomaterialNotReady)
    org = await OrganizationRepository(ctx.session).known(data.organization_id)
    await issue_charge(
        ctx.session,
        org,
        data.patient_id,
        [Line(SAMPLES_NOT_READY_SERVICE)],
        kind="charge",
        source=f"biomaterial:{data.home_visit_id}",
        at=data.recorded_at or ctx.envelope.time,
        now=ctx.now,
    )


async def on_home_visit_completed(ctx: HandlerContext) -> None:
    """BIL-15: home care under a program within the base zone is covered (counted as usage);
    outside it, or without a program, the visit is charged at the price list."""
    data = ctx.data(HomeVisitCompleted)
    org = await OrganizationRepository(ctx.session).known(data.organization_id)
    code = data.service_code or HOME_VISIT_SERVICES.get(data.kind, "home_visit_planned")
    at = data.completed_at or ctx.envelope.time
    day = local_date(at, org.time_zone)
    if data.enrollment_id is not None:
        svc = await ServiceRepository(ctx.session).known(org.id, code)
        band = data.distance_band_km if data.distance_band_km else None
        decision = await coverage_of_line(
            ctx.session,
            data.enrollment_id,
            svc,
            day,
            has_referral=True,
            terms="home_urgent" if data.kind == "urgent" else "home",
            band_km=band,
        )
        if decision.covered:
            await service.record_usage(
                ctx.session,
                data.enrollment_id,
                code,
                svc.name,
                day,
                source=f"home_visit:{data.home_visit_id}",
                now=ctx.now,
            )
            return
    await issue_charge(
        ctx.session,
        org,
        data.patient_id,
        [Line(code)],
        kind="charge",
        source=f"home_visit:{data.home_visit_id}",
        at=at,
        now=ctx.now,
    )


HANDLERS: dict[str, Handler] = {
    type_of(ReferralIssued): on_referral_issued,
    type_of(ReferralUsed): on_referral_used,
    type_of(ZoneUpserted): on_zone_upserted,
    type_of(AddressChangeAccepted): on_address_change,
    type_of(HealthGroupChanged): on_health_group,
    type_of(HomeVisitFalseCall): on_false_call,
    type_of(BiomaterialNotReady): on_biomaterial_not_ready,
    type_of(HomeVisitCompleted): on_home_visit_completed,
}
