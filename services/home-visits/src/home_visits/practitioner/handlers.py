"""Learns practitioners (home-care doctors among them) and their shifts from scheduling."""

from __future__ import annotations

from clinic_common.events.catalog import type_of
from clinic_common.events.consumer import Handler
from clinic_common.events.payloads.scheduling import PractitionerUpserted, ShiftUpserted
from clinic_common.events.projection import mirror

from home_visits.practitioner.models import PractitionerProjection, ShiftProjection

HANDLERS: dict[str, Handler] = {
    type_of(PractitionerUpserted): mirror(PractitionerProjection, PractitionerUpserted),
    type_of(ShiftUpserted): mirror(ShiftProjection, ShiftUpserted),
}
