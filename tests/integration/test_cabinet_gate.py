"""REC-19: a patient token acts only while the personal cabinet is open, in every service.

Records owns the cabinet and announces each change; scheduling (here) mirrors the events into its
`cabinet_access` table through its real handlers, ordered by the event's `sequence`. The gate sits in
the access Grants, so a caller acting as staff is not gated and a patient is gated on every route
that grants patients anything.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from clinic_common.cabinet import is_open
from clinic_common.events.payloads.records import (
    CabinetAccessGranted,
    CabinetAccessRestored,
    CabinetAccessRestricted,
)
from clinic_testkit.stack import Stack, Svc, auth, teach

pytestmark = pytest.mark.integration

ORG = uuid.UUID("0c000000-0000-4000-8000-0000000000c1")


async def gate_answer(svc: Svc, stack: Stack, person: uuid.UUID, *extra: str) -> tuple[int, str]:
    """GET an appointment nobody has: the gate answers 403, past it the object level answers 404."""
    token = stack.token("patient", org=str(ORG), patient_id=str(person), extra_roles=list(extra) or None)
    r = await svc.client.get(f"/v1/appointments/{uuid.uuid4()}", headers=auth(token))
    return r.status_code, r.json()["code"]


async def announce(
    svc: Svc, model: type, person: uuid.UUID, sequence: int, *, granted: bool, restricted: bool
) -> None:
    event = model(
        patient_id=person,
        organization_id=ORG,
        granted=granted,
        restricted=restricted,
        changed_at=datetime.now(UTC),
    )
    await teach(svc, event, aggregate_id=person, sequence=sequence)


def test_REC_19_open_means_granted_and_not_restricted() -> None:
    assert is_open(True, False)
    assert not is_open(True, True)
    assert not is_open(False, False)
    assert not is_open(False, True)


async def test_REC_19_patient_token_follows_the_cabinet_state_records_announces(stack: Stack) -> None:
    scheduling = await stack.start("scheduling", run_workers=False)
    person = uuid.uuid4()
    closed = (403, "cabinet_access_required")
    past_the_gate = (404, "appointment_not_found")

    assert await gate_answer(scheduling, stack, person) == closed  # never granted
    await announce(scheduling, CabinetAccessGranted, person, 1, granted=True, restricted=False)
    assert await gate_answer(scheduling, stack, person) == past_the_gate
    await announce(scheduling, CabinetAccessRestricted, person, 2, granted=True, restricted=True)
    assert await gate_answer(scheduling, stack, person) == closed
    # A late redelivery of the first grant does not reopen what the organization restricted.
    await announce(scheduling, CabinetAccessGranted, person, 1, granted=True, restricted=False)
    assert await gate_answer(scheduling, stack, person) == closed
    await announce(scheduling, CabinetAccessRestored, person, 3, granted=True, restricted=False)
    assert await gate_answer(scheduling, stack, person) == past_the_gate


async def test_REC_19_the_gate_is_per_organization_and_spares_staff_scope(stack: Stack) -> None:
    scheduling = await stack.start("scheduling", run_workers=False)
    person = uuid.uuid4()
    await announce(scheduling, CabinetAccessGranted, person, 1, granted=True, restricted=False)
    other_org = stack.token("patient", org=str(uuid.uuid4()), patient_id=str(person))
    r = await scheduling.client.get(f"/v1/appointments/{uuid.uuid4()}", headers=auth(other_org))
    assert (r.status_code, r.json()["code"]) == (403, "cabinet_access_required")
    # A registrar who is also a patient acts in the staff scope: the cabinet does not gate it.
    stranger = uuid.uuid4()
    assert await gate_answer(scheduling, stack, stranger, "registrar") == (404, "appointment_not_found")
    # A role that is not granted the action leaves the patient scope, and its gate, in force.
    assert await gate_answer(scheduling, stack, stranger, "home_doctor") == (403, "cabinet_access_required")
