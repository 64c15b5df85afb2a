"""Home-visit requests: load, apply the rules, persist, add events to the outbox. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Principal
from clinic_common.calendar import to_local
from clinic_common.errors import UnknownEntity
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.home_visits import HomeVisitRequested, HomeVisitScheduled, Indications

from home_visits import access
from home_visits.dispatch.service import Travel, insert_urgent
from home_visits.enrollment.domain import Enrollment
from home_visits.enrollment.service import load_enrollment
from home_visits.organization.service import load_organization
from home_visits.program_address.domain import matching_address
from home_visits.program_address.service import terms_in_force
from home_visits.visit import domain
from home_visits.visit.coverage import BillingCoverage
from home_visits.visit.domain import VisitKind, VisitStatus
from home_visits.visit.events import emit, visit_data
from home_visits.visit.models import HomeVisit
from home_visits.visit.repository import VisitRepository
from home_visits.visit.schemas import BillingAnswer, HomeVisitCreate, ReasonRead
from home_visits.zone.domain import GeoPoint, ZoneDecision, require_served
from home_visits.zone.service import decide_address


def zone_json(zone: ZoneDecision) -> dict[str, object]:
    band = zone.band
    return {
        "inside_base_zone": zone.inside_base_zone,
        "distance_km": zone.distance_km,
        "band": {"upper_km": band.upper_km, "surcharge_percent": band.surcharge_percent} if band else None,
    }


def _coverage(local: domain.Coverage, billing: BillingAnswer | None, zone: ZoneDecision) -> dict[str, object]:
    """Billing has the last word when it answered; otherwise home-visits' own reading, marked so."""
    reasons = [ReasonRead(rule=r.rule, detail=r.detail) for r in local.reasons]
    answered = billing is not None and billing.reachable
    if billing is not None and billing.reachable:
        reasons += billing.reasons
    return {
        "covered": billing.covered if answered and billing is not None else local.covered,
        "reasons": [r.model_dump() for r in reasons],
        "source": "billing" if answered else "home_visits",
        "zone": zone_json(zone),
        "billing": (billing or BillingAnswer(reachable=False, detail="not asked: no program")).model_dump(),
    }


async def request_visit(
    session: AsyncSession,
    outbox: Outbox,
    billing: BillingCoverage,
    principal: Principal,
    authorization: str | None,
    body: HomeVisitCreate,
    now: datetime,
    travel: Travel,
) -> HomeVisit:
    """HV-1 to HV-5: a planned or urgent request, dated by the cutoff, assigned a branch by zone."""
    repo = VisitRepository(session)
    patient = await repo.patient(body.patient_id)
    access.check_can_request_for(principal, body.patient_id, patient.organization_id if patient else None)
    if patient is None:
        raise UnknownEntity("patient", body.patient_id)
    org = await load_organization(session, patient.organization_id)
    domain.check_home_care_possible(body.needs_clinic_conditions, body.state_allows_home_care)
    enrollment: Enrollment | None = None
    if body.enrollment_id is not None:
        enrollment = await load_enrollment(session, body.enrollment_id)
        if enrollment.patient_id != patient.id:
            raise domain.EnrollmentNotOfPatient()
    kind = VisitKind(body.kind)
    domain.check_kind(kind, enrollment)
    policy = org.policy_on(org.today(now))
    domain.check_intake(kind, to_local(now, org.time_zone), policy)
    day = domain.scheduled_for(kind, now, org.time_zone, org.country, policy)
    zone = require_served(
        await decide_address(session, org.id, GeoPoint(lat=body.address.lat, lon=body.address.lon))
    )
    assert zone.branch_id is not None  # require_served: a served address has a branch
    program_address = None
    if enrollment is not None:
        program_address = matching_address(
            await terms_in_force(session, enrollment.id, day), body.address.lat, body.address.lon
        )
    answers = body.indications.model_dump()
    local = domain.local_coverage(
        kind=kind,
        day=day,
        enrollment=enrollment,
        answers=answers,
        zone=zone,
        program_address_band_agreed=program_address is not None,
    )
    answer = None
    if enrollment is not None:
        answer = await billing.ask(authorization, enrollment.id, domain.service_code(kind), day)
    band = zone.band if not zone.inside_base_zone else None
    branch = await repo.branch(zone.branch_id)
    visit = HomeVisit(
        id=uuid.uuid4(),
        organization_id=org.id,
        patient_id=patient.id,
        branch_id=zone.branch_id,
        enrollment_id=enrollment.id if enrollment else None,
        kind=kind.value,
        status=VisitStatus.SCHEDULED.value,
        scheduled_for=day,
        time_zone=branch.time_zone if branch else org.time_zone,
        address_text=body.address.text,
        lat=body.address.lat,
        lon=body.address.lon,
        program_address_id=program_address.id if program_address else None,
        window_start=program_address.window_start if program_address else None,
        window_end=program_address.window_end if program_address else None,
        indications=answers,
        inside_base_zone=zone.inside_base_zone,
        distance_km=zone.distance_km,
        band_upper_km=band.upper_km if band else None,
        surcharge_percent=band.surcharge_percent if band else None,
        coverage=_coverage(local, answer, zone),
        requested_at=now,
        requested_by=principal.subject,
        updated_at=now,
    )
    session.add(visit)
    await session.flush()
    data = visit_data(visit)
    await emit(
        session,
        outbox,
        visit,
        HomeVisitRequested(
            **data,
            indications=Indications(**answers),
            requested_at=now,
            covered=visit.coverage["covered"],
        ),
        now,
    )
    await emit(
        session,
        outbox,
        visit,
        HomeVisitScheduled(**data, window_start=visit.window_start, window_end=visit.window_end),
        now,
    )
    if kind is VisitKind.URGENT:
        await insert_urgent(
            session, outbox, visit, now, travel
        )  # HV-2: served at once, into the running plan
    return visit


async def get_visit(session: AsyncSession, principal: Principal, visit_id: UUID) -> HomeVisit:
    visit = await VisitRepository(session).get(visit_id)
    if visit is None:
        raise access.HomeVisitNotFound()
    access.check_can_read_visit(principal, visit.organization_id, visit.branch_id, visit.patient_id)
    return visit


async def list_day(
    session: AsyncSession, principal: Principal, branch_id: UUID, day: date, *, limit: int, after: UUID | None
) -> Sequence[HomeVisit]:
    repo = VisitRepository(session)
    branch = await repo.branch(branch_id)
    if branch is None:
        raise UnknownEntity("branch", branch_id)
    access.check_can_read_day(principal, branch.organization_id, branch.id)
    return await repo.page_of_day(branch_id, day, limit=limit, after=after)
