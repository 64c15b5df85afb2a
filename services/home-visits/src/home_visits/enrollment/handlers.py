"""Learns program enrolments from billing's `enrollment.created|suspended|ended`."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler
from clinic_common.events.payloads.billing import EnrollmentCreated, EnrollmentEnded, EnrollmentSuspended
from clinic_common.events.projection import mirror

from home_visits.enrollment.models import EnrollmentProjection

RENAME = {"enrollment_id": "id"}

HANDLERS: dict[str, Handler] = {
    type_of(EnrollmentCreated): mirror(
        EnrollmentProjection, EnrollmentCreated, rename=RENAME, extra={"status": "active"}
    ),
    type_of(EnrollmentSuspended): mirror(
        EnrollmentProjection, EnrollmentSuspended, rename=RENAME, extra={"status": "suspended"}
    ),
    type_of(EnrollmentEnded): mirror(
        EnrollmentProjection, EnrollmentEnded, rename=RENAME, extra={"status": "ended"}
    ),
}
