"""Organization use cases: load, apply the rules, persist, add events to the outbox. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.calendar import Country, local_date
from clinic_common.errors import Conflict
from clinic_common.events.catalog import type_of
from clinic_common.events.outbox import Outbox
from clinic_common.events.payloads.scheduling import (
    BranchData,
    OpeningInterval,
    OrganizationUpserted,
    PolicyVersionData,
)

from scheduling.organization.domain import (
    NoPolicyInForce,
    OrganizationNotFound,
    Policy,
    PolicyVersion,
    WeeklyInterval,
    check_policy_change,
    check_time_zone,
    check_weekly_hours,
    policy_in_force,
)
from scheduling.organization.models import Branch, Organization, PolicyVersionRow
from scheduling.organization.repository import OrganizationRepository
from scheduling.organization.schemas import BranchUpsert, OrganizationUpsert


class BranchOfAnotherOrganization(Conflict):
    code = "branch_of_another_organization"
    title = "The branch id belongs to another organization"
    rule = "ORG-2"


# --- reading ------------------------------------------------------------------------------------


def versions_of(org: Organization) -> list[PolicyVersion]:
    return [PolicyVersion(v.effective_from, Policy.model_validate(v.policy)) for v in org.policy_versions]


def local_today(org: Organization, now: datetime) -> date:
    """ORG-1: dates are the organization's local dates."""
    return local_date(now, org.time_zone)


def in_force(org: Organization, today: date) -> PolicyVersion | None:
    """ORG-3: the version in force on `today`, or None before the first one takes effect."""
    try:
        return policy_in_force(versions_of(org), today)
    except NoPolicyInForce:
        return None


def next_change(org: Organization, today: date) -> date | None:
    later = [v.effective_from for v in org.policy_versions if v.effective_from > today]
    return min(later) if later else None


async def get_organization(session: AsyncSession, organization_id: UUID) -> Organization:
    org = await OrganizationRepository(session).get_full(organization_id)
    if org is None:
        raise OrganizationNotFound()
    return org


async def list_organizations(
    session: AsyncSession, *, limit: int, after: UUID | None
) -> Sequence[Organization]:
    return await OrganizationRepository(session).page_full(limit=limit, after=after)


async def policy_on(session: AsyncSession, organization_id: UUID, day: date) -> Policy:
    """ORG-3: the organization's policy in force on a local date (for the other modules' rules)."""
    org = await get_organization(session, organization_id)
    return policy_in_force(versions_of(org), day).policy


def hours_of(raw: Sequence[dict[str, Any]]) -> list[WeeklyInterval]:
    return [WeeklyInterval.model_validate(i) for i in raw]


# --- the event ----------------------------------------------------------------------------------


def to_payload(org: Organization, today: date) -> OrganizationUpserted:
    """The `organization.upserted` payload of the organization as stored (ORG-1..ORG-3)."""
    current = in_force(org, today)
    branches = sorted(org.branches, key=lambda b: (b.sort_order, b.name, str(b.id)))
    return OrganizationUpserted(
        id=org.id,
        name=org.name,
        country=org.country,
        currency=org.currency,
        time_zone=org.time_zone,
        branches=[
            BranchData(
                id=b.id,
                name=b.name,
                address=b.address,
                time_zone=b.time_zone,
                lat=b.lat,
                lon=b.lon,
                opening_hours=[_interval(i) for i in hours_of(b.opening_hours)],
                phone_booking_hours=[_interval(i) for i in hours_of(b.phone_booking_hours)],
                electronic_queue=b.electronic_queue,
                sort_order=b.sort_order,
            )
            for b in branches
        ],
        policy=current.policy.model_dump(mode="json") if current else {},
        policy_effective_from=current.effective_from if current else None,
        policy_versions=[
            PolicyVersionData(effective_from=v.effective_from, policy=v.policy.model_dump(mode="json"))
            for v in sorted(versions_of(org), key=lambda v: v.effective_from)
        ],
    )


def _interval(i: WeeklyInterval) -> OpeningInterval:
    return OpeningInterval(weekday=i.weekday, opens=i.opens, closes=i.closes)


# --- writing ------------------------------------------------------------------------------------


async def upsert_organization(
    session: AsyncSession, outbox: Outbox, body: OrganizationUpsert, now: datetime
) -> Organization:
    """Create or update an organization with its branches and policy versions (ORG-1..ORG-3).

    Adds `organization.upserted` to the outbox only when what consumers see changed, so loading
    the same data again emits nothing."""
    check_time_zone(body.time_zone)
    repo = OrganizationRepository(session)
    org = await repo.get_full(body.id)
    today = local_date(now, body.time_zone)
    before = to_payload(org, today) if org is not None else None
    if org is None:
        org = Organization(id=body.id, branches=[], policy_versions=[])
        session.add(org)
    org.name = body.name
    org.country = body.country
    org.currency = body.currency
    org.time_zone = body.time_zone
    _apply_policy_versions(org, body, now)
    current = in_force(org, today) or min(versions_of(org), key=lambda v: v.effective_from)
    for branch_body in body.branches:
        await _apply_branch(repo, org, branch_body, current.policy)
    await session.flush()
    after = to_payload(org, today)
    if after != before:
        await outbox.add(
            session,
            type=type_of(OrganizationUpserted),
            aggregate_id=org.id,
            org_id=org.id,
            now=now,
            data=after,
        )
    return org


def _apply_policy_versions(org: Organization, body: OrganizationUpsert, now: datetime) -> None:
    """ORG-3: a new version needs the notice of the policy in force when it is published; the
    first version of a new organization changes nothing, so it needs none. Rewriting an existing
    version (an operator's correction) keeps its date."""
    existing = {v.effective_from: v for v in org.policy_versions}
    for version in sorted(body.policy_versions, key=lambda v: v.effective_from):
        data = version.policy.model_dump(mode="json")
        row = existing.get(version.effective_from)
        if row is not None:
            row.policy = data
            if version.published_at is not None:
                row.published_at = version.published_at
            continue
        published_at = version.published_at or now
        if org.policy_versions:
            published_on = local_date(published_at, body.time_zone)
            governing = in_force(org, published_on)
            notice = (governing.policy if governing else version.policy).offer_change_notice_working_days
            check_policy_change(Country(body.country), published_on, version.effective_from, notice)
        row = PolicyVersionRow(
            organization_id=org.id,
            effective_from=version.effective_from,
            policy=data,
            published_at=published_at,
        )
        org.policy_versions.append(row)
        existing[version.effective_from] = row


async def _apply_branch(
    repo: OrganizationRepository, org: Organization, body: BranchUpsert, policy: Policy
) -> None:
    """ORG-2: a branch with its address, point and weekly hours (the policy's by default)."""
    time_zone = body.time_zone or org.time_zone
    check_time_zone(time_zone)
    opening = body.opening_hours if body.opening_hours is not None else policy.opening_hours
    phone = body.phone_booking_hours if body.phone_booking_hours is not None else policy.phone_booking_hours
    check_weekly_hours(opening)
    check_weekly_hours(phone)
    branch = next((b for b in org.branches if b.id == body.id), None)
    if branch is None:
        if await repo.branch(body.id) is not None:
            raise BranchOfAnotherOrganization(branch_id=str(body.id))
        branch = Branch(id=body.id, organization_id=org.id)
        org.branches.append(branch)
    branch.name = body.name
    branch.address = body.address
    branch.lat = body.lat
    branch.lon = body.lon
    branch.time_zone = time_zone
    branch.opening_hours = [i.model_dump(mode="json") for i in opening]
    branch.phone_booking_hours = [i.model_dump(mode="json") for i in phone]
    branch.electronic_queue = body.electronic_queue
    branch.sort_order = body.sort_order
