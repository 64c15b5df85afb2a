"""Program home-care addresses (HV-8): the contract's addresses and their one change, recorded as a
supplementary agreement; a change of distance band tells billing (BIL-16). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.auth import Grant, Principal
from clinic_common.errors import register_constraint_error
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.home_visits import AddressChangeAccepted, ProgramAddressData, ZoneStanding

from home_visits import access
from home_visits.enrollment.domain import Enrollment
from home_visits.enrollment.service import load_enrollment
from home_visits.organization.service import load_organization
from home_visits.program_address.domain import (
    AddressChangeNotAllowed,
    AddressTerms,
    Band,
    ChangeAction,
    apply_change,
    check_change_allowed,
    check_initial,
    program_band,
)
from home_visits.program_address.models import ProgramAddress, SupplementaryAgreement
from home_visits.program_address.repository import ProgramAddressRepository
from home_visits.program_address.schemas import AddressChangeCreate, ProgramAddressIn
from home_visits.zone.domain import GeoPoint, require_served
from home_visits.zone.service import decide_address


class AlreadyChanged(AddressChangeNotAllowed):
    """Raised by the database's one-agreement-per-program key when two applications race."""

    def __init__(self) -> None:
        super().__init__("The addresses of this program were changed once already", reason="already_changed")


register_constraint_error("uq_supplementary_agreements_enrollment_id", AlreadyChanged)


def to_terms(row: ProgramAddress) -> AddressTerms:
    return AddressTerms(
        id=row.id,
        text=row.text,
        lat=row.lat,
        lon=row.lon,
        window_start=row.window_start,
        window_end=row.window_end,
        band=Band(row.band_upper_km, row.surcharge_percent),
    )


async def terms_in_force(session: AsyncSession, enrollment_id: UUID, day: date) -> list[AddressTerms]:
    return [to_terms(r) for r in await ProgramAddressRepository(session).in_force(enrollment_id, day)]


async def _terms_of(session: AsyncSession, organization_id: UUID, body: ProgramAddressIn) -> AddressTerms:
    """HV-4: a program address must be served; its band is what BIL-16 prices."""
    zone = require_served(
        await decide_address(session, organization_id, GeoPoint(lat=body.lat, lon=body.lon))
    )
    return AddressTerms(
        id=uuid.uuid4(),
        text=body.text,
        lat=body.lat,
        lon=body.lon,
        window_start=body.window.start,
        window_end=body.window.end,
        band=Band.of(zone),
    )


async def _enrollment_for(
    session: AsyncSession, principal: Principal, enrollment_id: UUID, grant: Grant
) -> Enrollment:
    enrollment = await load_enrollment(session, enrollment_id)
    access.check_enrollment(grant, principal, enrollment.organization_id, enrollment.patient_id)
    return enrollment


def _row(
    enrollment: Enrollment, terms: AddressTerms, valid_from: date, agreement_id: UUID | None, now: datetime
) -> ProgramAddress:
    return ProgramAddress(
        id=terms.id,
        enrollment_id=enrollment.id,
        organization_id=enrollment.organization_id,
        patient_id=enrollment.patient_id,
        text=terms.text,
        lat=terms.lat,
        lon=terms.lon,
        window_start=terms.window_start,
        window_end=terms.window_end,
        band_upper_km=terms.band.upper_km,
        surcharge_percent=terms.band.surcharge_percent,
        valid_from=valid_from,
        valid_to=None,
        agreement_id=agreement_id,
        created_at=now,
    )


async def agree_addresses(
    session: AsyncSession,
    principal: Principal,
    enrollment_id: UUID,
    bodies: Sequence[ProgramAddressIn],
    now: datetime,
) -> list[ProgramAddress]:
    """HV-8: the contract's one or two addresses with their intervals, from the program's start."""
    enrollment = await _enrollment_for(session, principal, enrollment_id, access.AGREE_ADDRESSES)
    repo = ProgramAddressRepository(session)
    terms = [await _terms_of(session, enrollment.organization_id, b) for b in bodies]
    check_initial(terms, await repo.count(enrollment.id))
    rows = [_row(enrollment, t, enrollment.starts_on, None, now) for t in terms]
    session.add_all(rows)
    await session.flush()
    return rows


async def list_addresses(
    session: AsyncSession, principal: Principal, enrollment_id: UUID
) -> Sequence[ProgramAddress]:
    enrollment = await _enrollment_for(session, principal, enrollment_id, access.READ_ADDRESSES)
    return await ProgramAddressRepository(session).current(enrollment.id)


def _address_data(t: AddressTerms) -> ProgramAddressData:
    return ProgramAddressData(
        id=t.id,
        text=t.text,
        lat=t.lat,
        lon=t.lon,
        window_start=t.window_start,
        window_end=t.window_end,
        zone=ZoneStanding(
            inside_base_zone=t.band.upper_km is None,
            band_upper_km=t.band.upper_km,
            surcharge_percent=t.band.surcharge_percent,
        ),
    )


async def change_addresses(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    enrollment_id: UUID,
    body: AddressChangeCreate,
    now: datetime,
) -> SupplementaryAgreement:
    """HV-8: the program's one change, by an application filed today (organization-local) that
    takes effect on `effective_on`; accepted as a supplementary agreement (P 12.6.5) and announced
    to billing with the program's band before and after (BIL-16)."""
    enrollment = await _enrollment_for(session, principal, enrollment_id, access.APPLY_ADDRESS_CHANGE)
    org = await load_organization(session, enrollment.organization_id)
    repo = ProgramAddressRepository(session)
    filed_on = org.today(now)
    check_change_allowed(
        enrollment=enrollment,
        country=org.country,
        filed_on=filed_on,
        effective_on=body.effective_on,
        changes_made=1 if await repo.agreement(enrollment.id) is not None else 0,
    )
    current_rows = await repo.current(enrollment.id)
    current = [to_terms(r) for r in current_rows]
    new = await _terms_of(session, enrollment.organization_id, body.address) if body.address else None
    window: tuple[time, time] | None = (body.window.start, body.window.end) if body.window else None
    action = ChangeAction(body.action)
    after = apply_change(current, action, address_id=body.address_id, new=new, window=window)
    if action is ChangeAction.CHANGE_INTERVAL and body.address_id is not None:
        # The changed address continues under a new row (its interval from the effective date).
        after = [
            AddressTerms(uuid.uuid4(), a.text, a.lat, a.lon, a.window_start, a.window_end, a.band)
            if a.id == body.address_id
            else a
            for a in after
        ]
    before_band, after_band = program_band(current), program_band(after)
    agreement = SupplementaryAgreement(
        id=uuid.uuid4(),
        number=f"SA-{str(enrollment.id)[:8].upper()}-1",
        enrollment_id=enrollment.id,
        organization_id=enrollment.organization_id,
        patient_id=enrollment.patient_id,
        action=action.value,
        filed_on=filed_on,
        effective_on=body.effective_on,
        filed_at=now,
        filed_by=principal.subject,
        old_band_km=before_band.upper_km,
        new_band_km=after_band.upper_km,
        old_surcharge_percent=before_band.surcharge_percent,
        new_surcharge_percent=after_band.surcharge_percent,
        terms=[_address_data(t).model_dump(mode="json") for t in after],
    )
    session.add(agreement)
    await session.flush()  # the one-per-program key decides a race here (AlreadyChanged)
    kept = {a.id for a in after}
    for row in current_rows:
        if row.id in kept:
            continue
        if row.valid_from >= body.effective_on:  # never in force: the new terms replace it outright
            await session.delete(row)
        else:
            row.valid_to = body.effective_on
    new_rows = [t for t in after if t.id not in {r.id for r in current_rows}]
    session.add_all([_row(enrollment, t, body.effective_on, agreement.id, now) for t in new_rows])
    await session.flush()
    await outbox.add(
        session,
        type=type_of(AddressChangeAccepted),
        aggregate_id=enrollment.id,
        org_id=enrollment.organization_id,
        now=now,
        data=AddressChangeAccepted(
            enrollment_id=enrollment.id,
            patient_id=enrollment.patient_id,
            organization_id=enrollment.organization_id,
            old_band_km=before_band.upper_km,
            new_band_km=after_band.upper_km,
            old_surcharge_percent=before_band.surcharge_percent,
            new_surcharge_percent=after_band.surcharge_percent,
            band_changed=before_band != after_band,
            effective_on=body.effective_on,
            filed_on=filed_on,
            agreement_id=agreement.id,
            agreement_number=agreement.number,
            action=action.value,
            addresses=[_address_data(t) for t in after],
        ),
    )
    return agreement
