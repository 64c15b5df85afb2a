"""Whom a deterioration report reaches (HV-10): the doctor named in it; else the patient's attending
practitioner learnt from scheduling's `attending_practitioner.changed` (SCH-15), when home-visits
knows that doctor in the organization; else the doctor of the latest home visit; else the call
centre at once. Fixtures: conftest.py (`hv`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from clinic_common.demo import ORG_ALMATY_ID, demo_id
from clinic_common.events.payloads.scheduling import AttendingPractitionerChanged, PractitionerUpserted
from clinic_testkit.stack import envelope_for, teach

pytestmark = pytest.mark.integration


def changed(hv: Any, practitioner: UUID, version: int, **extra: Any) -> AttendingPractitionerChanged:
    return AttendingPractitionerChanged(
        patient_id=hv.ids.patient_urgent,
        organization_id=hv.ids.org,
        practitioner_id=practitioner,
        capacity="patient",
        changed_at=hv.now - timedelta(days=10 - version),
        version=version,
        **extra,
    )


async def learn(hv: Any, practitioner: UUID, version: int) -> None:
    """Taught with one envelope sequence: the payload's `version` alone orders the changes."""
    await teach(hv.svc, changed(hv, practitioner, version), aggregate_id=hv.ids.patient_urgent)


async def visit_with(hv: Any, doctor: UUID) -> None:
    visit = (await hv.request(hv.body())).json()
    r = await hv.client.post(
        f"/v1/home-visits/{visit['id']}/assign",
        json={"practitioner_id": str(doctor)},
        headers=hv.headers("dispatcher"),
    )
    assert r.status_code == 200, r.text


async def test_HV_10_SCH_15_unnamed_report_goes_to_the_attending_practitioner_learnt(hv: Any) -> None:
    await visit_with(hv, hv.ids.doctor_2)  # the latest visit's doctor loses to the attending one
    await learn(hv, hv.ids.clinic_doctor, 1)
    filed = await hv.report()
    assert (filed["status"], filed["practitioner_id"]) == ("open", str(hv.ids.clinic_doctor))
    filed_events = await hv.events("deterioration_report.filed")
    assert filed_events[-1]["practitioner_id"] == str(hv.ids.clinic_doctor)
    ack = await hv.client.post(
        f"/v1/deterioration-reports/{filed['id']}/acknowledge",
        headers=hv.headers("doctor", staff_id=str(hv.ids.clinic_doctor)),
    )
    assert (ack.status_code, ack.json()["acknowledged_by"]) == (200, "attending_doctor")

    named = await hv.report(practitioner_id=str(hv.ids.doctor_1))  # the named doctor comes first
    assert named["practitioner_id"] == str(hv.ids.doctor_1)


async def test_HV_10_SCH_15_an_older_attending_change_never_overwrites_a_newer_one(hv: Any) -> None:
    newer = envelope_for(changed(hv, hv.ids.doctor_1, 2), aggregate_id=hv.ids.patient_urgent)
    processor = hv.svc.state.event_processor
    assert await processor.process(newer) is True
    assert await processor.process(newer) is False  # redelivered: the inbox drops it
    await learn(hv, hv.ids.clinic_doctor, 1)  # the first choice, arriving late
    assert (await hv.report())["practitioner_id"] == str(hv.ids.doctor_1)

    await learn(hv, hv.ids.doctor_2, 3)
    assert (await hv.report())["practitioner_id"] == str(hv.ids.doctor_2)


async def test_HV_10_SCH_15_without_a_usable_attending_practitioner_it_falls_back(hv: Any) -> None:
    nobody = await hv.report()  # no projection row, no visit: the call centre at once, as before
    assert (nobody["status"], nobody["escalation_reason"]) == ("escalated", "no_attending_doctor")

    await visit_with(hv, hv.ids.doctor_2)
    assert (await hv.report())["practitioner_id"] == str(hv.ids.doctor_2)  # no projection row

    await learn(hv, demo_id("test", "unknown", "practitioner"), 1)  # not learnt by home-visits
    assert (await hv.report())["practitioner_id"] == str(hv.ids.doctor_2)

    elsewhere = demo_id("test", "almaty-doctor", 1)
    await teach(
        hv.svc,
        PractitionerUpserted(
            id=elsewhere,
            organization_id=ORG_ALMATY_ID,
            branch_ids=[],
            full_name="Doctor of another organization",
            specialty="therapist",
            qualification="first",
            experience_years=5,
        ),
        aggregate_id=elsewhere,
    )
    await learn(hv, elsewhere, 2)
    assert (await hv.report())["practitioner_id"] == str(hv.ids.doctor_2)
