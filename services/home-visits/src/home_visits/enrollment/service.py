"""Reading the enrolment projection for the rules (HV-2, HV-8)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from clinic_common.errors import UnknownEntity

from home_visits.enrollment.domain import Enrollment
from home_visits.enrollment.models import EnrollmentProjection


def to_enrollment(row: EnrollmentProjection) -> Enrollment:
    return Enrollment(
        id=row.id,
        organization_id=row.organization_id,
        patient_id=row.patient_id,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        urgent_home_care=row.urgent_home_care,
        status=row.status,
    )


async def load_enrollment(session: AsyncSession, enrollment_id: UUID) -> Enrollment:
    """422 `enrollment_unknown` until billing's `enrollment.created` has arrived (clients retry)."""
    row = await session.get(EnrollmentProjection, enrollment_id)
    if row is None:
        raise UnknownEntity("enrollment", enrollment_id)
    return to_enrollment(row)
