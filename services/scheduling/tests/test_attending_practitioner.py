"""The patient's attending practitioner (SCH-15): the patient chooses among the organization's
active practitioners and may change (O 6.2.1); under a program the change goes through the
personal manager (P 12.2.3); the organization may replace, with a reason (O 5.2.8). The history
says who chose whom, in which capacity and role, when and why."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update

from clinic_common.demo import ORG_ALMATY_ID, ORG_MOSCOW_ID, practitioner_id
from clinic_common.events.payloads.billing import EnrollmentCreated, EnrollmentEnded
from clinic_common.events.payloads.scheduling import AttendingPractitionerChanged

from scheduling.practitioner.models import Practitioner

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.integration

THERAPIST = practitioner_id(ORG_ALMATY_ID, 1, 1)
OTHER = practitioner_id(ORG_ALMATY_ID, 2, 2)  # Abay therapist
MOSCOW_THERAPIST = practitioner_id(ORG_MOSCOW_ID, 1, 1)


def url(patient: uuid.UUID) -> str:
    return f"/v1/patients/{patient}/attending-practitioner"


async def choose(
    world: World, patient: uuid.UUID, headers: dict[str, str], practitioner: uuid.UUID, **over: Any
) -> Any:
    return await world.client.put(
        url(patient), json={"practitioner_id": str(practitioner), **over}, headers=headers
    )


def problem(r: Any) -> tuple[int, str, str | None]:
    return r.status_code, r.json().get("code"), r.json().get("rule")


async def enrol(world: World, patient: uuid.UUID) -> EnrollmentCreated:
    today = world.clock.now().date()
    enrollment = EnrollmentCreated(
        enrollment_id=uuid.uuid4(),
        program_id=uuid.uuid4(),
        patient_id=patient,
        organization_id=ORG_ALMATY_ID,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=300),
        urgent_home_care=False,
    )
    await world.teach(enrollment, enrollment.enrollment_id)
    return enrollment


async def test_SCH_15_the_patient_chooses_and_changes_the_attending_practitioner(world: World) -> None:
    patient = await world.patient()
    me = world.as_patient(patient)
    before = await world.client.get(url(patient), headers=me)
    assert before.status_code == 200, before.text
    assert (before.json()["practitioner_id"], before.json()["history"], before.json()["version"]) == (
        None,
        [],
        0,
    )

    chosen = await choose(world, patient, me, THERAPIST)
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["practitioner_id"] == str(THERAPIST)
    assert datetime.fromisoformat(chosen.json()["since"]) == world.clock.now()
    assert chosen.headers["ETag"] != before.headers["ETag"]

    world.clock.advance(timedelta(days=3))
    changed = await choose(world, patient, me, OTHER, reason="closer to home")
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["practitioner_id"], body["version"]) == (str(OTHER), 2)
    latest, first = body["history"]
    assert (latest["practitioner_id"], latest["previous_practitioner_id"]) == (str(OTHER), str(THERAPIST))
    assert (latest["capacity"], latest["role"], latest["reason"]) == ("patient", "patient", "closer to home")
    assert datetime.fromisoformat(latest["at"]) == world.clock.now()
    assert (first["practitioner_id"], first["previous_practitioner_id"], first["reason"]) == (
        str(THERAPIST),
        None,
        None,
    )
    assert latest["chosen_by"] and first["chosen_by"] == latest["chosen_by"]

    same = await choose(world, patient, me, OTHER)  # choosing the current one again changes nothing
    assert (same.status_code, same.json()["version"], len(same.json()["history"])) == (200, 2, 2)
    seen = await world.client.get(url(patient), headers=world.staff("doctor"))
    assert (seen.json()["practitioner_id"], seen.headers["ETag"]) == (str(OTHER), changed.headers["ETag"])


async def test_SCH_15_only_an_active_practitioner_of_the_patients_organization(world: World) -> None:
    patient = await world.patient()
    me = world.as_patient(patient)
    for practitioner in (MOSCOW_THERAPIST, uuid.uuid4()):
        r = await choose(world, patient, me, practitioner)
        assert (r.status_code, r.json()["code"]) == (422, "practitioner_unknown"), r.text
    async with world.svc.state.db.sessionmaker() as session, session.begin():
        await session.execute(update(Practitioner).where(Practitioner.id == OTHER).values(active=False))
    gone = await choose(world, patient, me, OTHER)
    assert (gone.status_code, gone.json()["code"]) == (422, "practitioner_unknown")
    assert (await world.client.get(url(patient), headers=me)).json()["history"] == []


async def test_SCH_15_under_a_program_the_change_goes_through_the_personal_manager(world: World) -> None:
    patient = await world.patient()
    me = world.as_patient(patient)
    assert (await choose(world, patient, me, THERAPIST)).status_code == 200  # before the program
    enrollment = await enrol(world, patient)

    refused = await choose(world, patient, me, OTHER)
    assert problem(refused) == (403, "program_manager_required", "SCH-15")
    for role in ("call_center", "registrar"):
        target = OTHER if role == "call_center" else THERAPIST
        r = await choose(world, patient, world.staff(role), target, reason="the patient asked by phone")
        assert r.status_code == 200, r.text
        latest = r.json()["history"][0]
        assert (latest["capacity"], latest["role"]) == ("personal_manager", role)
    manager = await choose(world, patient, world.staff("call_center"), OTHER)  # no reason needed
    assert manager.status_code == 200, manager.text

    await world.teach(
        EnrollmentEnded(**enrollment.model_dump(exclude={"status"}), status="ended"),
        enrollment.enrollment_id,
        sequence=2,
    )
    free = await choose(world, patient, me, THERAPIST)  # the program ended: the patient's own choice again
    assert (free.status_code, free.json()["history"][0]["capacity"]) == (200, "patient")


async def test_SCH_15_the_organization_replaces_the_attending_practitioner_with_a_reason(
    world: World,
) -> None:
    patient = await world.patient()
    await enrol(world, patient)  # the organization's replacement is not the patient's change
    director = world.staff("director")
    for reason in ({}, {"reason": "   "}):
        r = await choose(world, patient, director, THERAPIST, **reason)
        assert problem(r) == (422, "replacement_reason_required", "SCH-15")
    replaced = await choose(world, patient, director, THERAPIST, reason="the practitioner left the branch")
    assert replaced.status_code == 200, replaced.text
    latest = replaced.json()["history"][0]
    assert (latest["capacity"], latest["role"], latest["reason"]) == (
        "organization",
        "director",
        "the practitioner left the branch",
    )

    registrar = world.staff("registrar")
    bare = await choose(world, patient, registrar, OTHER, acting_as="organization")
    assert problem(bare) == (422, "replacement_reason_required", "SCH-15")
    r = await choose(world, patient, registrar, OTHER, acting_as="organization", reason="long leave")
    assert (r.status_code, r.json()["history"][0]["capacity"]) == (200, "organization")

    not_theirs = await choose(world, patient, world.staff("call_center"), THERAPIST, acting_as="organization")
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (403, "forbidden_role")
    posing = await choose(world, patient, world.as_patient(patient), THERAPIST, acting_as="personal_manager")
    assert (posing.status_code, posing.json()["code"]) == (403, "forbidden_role")
    unknown_capacity = await choose(world, patient, registrar, THERAPIST, acting_as="doctor")
    assert (unknown_capacity.status_code, unknown_capacity.json()["code"]) == (422, "validation_failed")


async def test_SCH_15_another_patient_or_organization_answers_404(world: World) -> None:
    patient, stranger = await world.patient(), await world.patient()
    for headers in (world.as_patient(stranger), world.staff("registrar", ORG_MOSCOW_ID)):
        read = await world.client.get(url(patient), headers=headers)
        assert (read.status_code, read.json()["code"]) == (404, "patient_not_found")
        put = await choose(world, patient, headers, THERAPIST, reason="x")
        assert (put.status_code, put.json()["code"]) == (404, "patient_not_found")
    nobody = await world.client.get(url(uuid.uuid4()), headers=world.staff())
    assert (nobody.status_code, nobody.json()["code"]) == (404, "patient_not_found")
    cashier = await world.client.get(url(patient), headers=world.staff("cashier"))
    assert (cashier.status_code, cashier.json()["code"]) == (403, "forbidden_role")


async def test_SCH_15_a_change_with_a_stale_if_match_is_refused(world: World) -> None:
    patient = await world.patient()
    me = world.as_patient(patient)
    tag = (await world.client.get(url(patient), headers=me)).headers["ETag"]
    first = await choose(world, patient, {**me, "If-Match": tag}, THERAPIST)
    assert first.status_code == 200, first.text
    stale = await choose(world, patient, {**me, "If-Match": tag}, OTHER)
    assert (stale.status_code, stale.json()["code"]) == (412, "precondition_failed")
    fresh = await choose(world, patient, {**me, "If-Match": first.headers["ETag"]}, OTHER)
    assert (fresh.status_code, fresh.json()["practitioner_id"]) == (200, str(OTHER))


async def test_SCH_15_each_real_change_writes_one_attending_practitioner_changed(world: World) -> None:
    patient = await world.patient()
    me = world.as_patient(patient)
    assert (await choose(world, patient, me, THERAPIST)).status_code == 200
    first_at = world.clock.now()
    world.clock.advance(timedelta(days=1))
    assert (await choose(world, patient, me, THERAPIST)).status_code == 200  # the same one: no event
    assert len(await world.events("attending_practitioner.changed")) == 1
    director = world.staff("director")
    replaced = await choose(world, patient, director, OTHER, reason="the practitioner left the branch")
    assert replaced.status_code == 200, replaced.text
    assert (await choose(world, patient, director, OTHER, reason="again")).status_code == 200

    first, second = await world.events("attending_practitioner.changed")
    assert (first.subject, first.orgid, first.sequence) == (str(patient), ORG_ALMATY_ID, 1)
    assert AttendingPractitionerChanged.model_validate(first.data) == AttendingPractitionerChanged(
        patient_id=patient,
        organization_id=ORG_ALMATY_ID,
        practitioner_id=THERAPIST,
        previous_practitioner_id=None,
        capacity="patient",
        changed_at=first_at,
        version=1,
    )
    assert AttendingPractitionerChanged.model_validate(second.data) == AttendingPractitionerChanged(
        patient_id=patient,
        organization_id=ORG_ALMATY_ID,
        practitioner_id=OTHER,
        previous_practitioner_id=THERAPIST,
        capacity="organization",
        changed_at=world.clock.now(),
        version=2,
    )
    assert second.sequence == 2
