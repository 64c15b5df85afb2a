"""Every check of a booking on real PostgreSQL, each refusal with its code and rule (SCH-2, SCH-3,
SCH-5, SCH-6, SCH-9, SCH-10, SCH-13); the rules owned elsewhere run on local projections fed by
records' and billing's events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from clinic_common.demo import ORG_ALMATY_ID, ORG_MOSCOW_ID, practitioner_id
from clinic_common.events.payloads.billing import DebtOpened, DebtSettled, EnrollmentCreated
from clinic_common.events.payloads.records import PatientServiceRefused, ReferralIssued

if TYPE_CHECKING:
    from conftest import World

pytestmark = pytest.mark.integration

DOCTOR = practitioner_id(ORG_ALMATY_ID, 1, 1)
ARBAT_THERAPIST = practitioner_id(ORG_MOSCOW_ID, 1, 1)


def problem(r: Any) -> tuple[int, str, str | None]:
    body = r.json()
    return r.status_code, body.get("code"), body.get("rule")


async def test_SCH_3_a_start_in_the_past_is_refused(world: World) -> None:
    start = await world.start(DOCTOR)
    world.clock.set(start.astimezone(UTC) + timedelta(minutes=1))
    r = await world.book(await world.patient(), DOCTOR, start)
    assert problem(r) == (422, "start_in_past", "SCH-3")


async def test_SCH_3_minimum_lead_time_per_channel(world: World) -> None:
    patient = await world.patient()
    start = await world.start(DOCTOR, minutes=60)
    world.clock.set(start.astimezone(UTC) - timedelta(minutes=30))
    web = await world.client.post(
        "/v1/appointments",
        json=world.body(patient, DOCTOR, start, channel="website"),
        headers=world.as_patient(patient),
    )
    assert problem(web) == (422, "booking_lead_time", "SCH-3")
    assert web.json()["lead_minutes"] == 60
    call_center = await world.book(
        patient, DOCTOR, start, channel="call_center"
    )  # 30 minutes' notice is enough
    assert call_center.status_code == 201, call_center.text
    assert call_center.json()["channel"] == "call_center"


async def test_SCH_2_a_start_not_aligned_to_the_visit_length_is_refused(world: World) -> None:
    r = await world.book(await world.patient(), DOCTOR, await world.start(DOCTOR, minutes=10))
    assert problem(r) == (422, "start_not_aligned", "SCH-2")
    assert r.json()["visit_minutes"] == 30


async def test_SCH_5_a_start_outside_opening_hours_is_refused(world: World) -> None:
    start = (await world.start(DOCTOR)).replace(hour=21, minute=0)  # Dostyk closes at 20:00
    r = await world.book(await world.patient(), DOCTOR, start)
    assert problem(r) == (422, "outside_working_hours", "SCH-5")


async def test_SCH_1_an_unknown_or_other_organizations_practitioner_is_404(world: World) -> None:
    patient = await world.patient()
    start = await world.start(DOCTOR)
    assert problem(await world.book(patient, uuid.uuid4(), start))[:2] == (404, "practitioner_not_found")
    assert problem(await world.book(patient, ARBAT_THERAPIST, start))[:2] == (404, "practitioner_not_found")


@pytest.mark.parametrize(
    ("org", "doctor", "minutes"),
    [(ORG_ALMATY_ID, DOCTOR, 10), (ORG_MOSCOW_ID, ARBAT_THERAPIST, 15)],
    ids=["O", "P"],
)
async def test_SCH_6_the_confirmation_asks_to_arrive_early_with_an_identity_document(
    world: World, org: uuid.UUID, doctor: uuid.UUID, minutes: int
) -> None:
    start = await world.start(doctor, org)
    r = await world.book(await world.patient(org), doctor, start, org=org)
    assert r.status_code == 201, r.text
    confirmation = r.json()["confirmation"]
    assert confirmation["arrive_early_minutes"] == minutes
    assert datetime.fromisoformat(confirmation["arrive_by"]) == start - timedelta(minutes=minutes)
    assert confirmation["bring_identity_document"] is True and "identity document" in confirmation["message"]
    (booked,) = await world.events("appointment.booked")
    assert booked.data["arrive_early_minutes"] == minutes


async def enrol(
    world: World, patient: uuid.UUID, org: uuid.UUID, plan: list[dict[str, str]] | None = None
) -> uuid.UUID:
    enrollment = uuid.uuid4()
    await world.teach(
        EnrollmentCreated(
            enrollment_id=enrollment,
            program_id=uuid.uuid4(),
            patient_id=patient,
            organization_id=org,
            starts_on=date(2026, 1, 1),
            ends_on=date(2027, 12, 31),
            urgent_home_care=True,
            preventive_plan=plan or [],
        ),
        enrollment,
    )
    return enrollment


async def test_SCH_9_under_a_program_an_instrumental_study_needs_a_referral(world: World) -> None:
    patient = await world.patient(ORG_MOSCOW_ID)
    enrollment = await enrol(world, patient, ORG_MOSCOW_ID)
    start = await world.start(ARBAT_THERAPIST, ORG_MOSCOW_ID)
    program = {"kind": "program", "ref": str(enrollment)}
    refused = await world.book(
        patient, ARBAT_THERAPIST, start, org=ORG_MOSCOW_ID, service_code="ecg", payer=program
    )
    assert problem(refused) == (422, "referral_required", "SCH-9")
    paid = await world.book(patient, ARBAT_THERAPIST, start, org=ORG_MOSCOW_ID, service_code="ecg")
    assert paid.status_code == 201, paid.text  # paid by the patient: no referral needed
    await world.client.post(
        f"/v1/appointments/{paid.json()['id']}/cancel", json={}, headers=world.staff(org=ORG_MOSCOW_ID)
    )
    referral = uuid.uuid4()
    await world.teach(
        ReferralIssued(
            referral_id=referral,
            patient_id=patient,
            organization_id=ORG_MOSCOW_ID,
            service_code="ecg",
            issued_by=ARBAT_THERAPIST,
            issued_on=date(2026, 11, 20),
        ),
        referral,
    )
    ok = await world.book(
        patient,
        ARBAT_THERAPIST,
        start,
        org=ORG_MOSCOW_ID,
        service_code="ecg",
        payer=program,
        referral_id=str(referral),
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["referral_id"] == str(referral)
    assert ok.json()["visit_type"] == "first_examination"
    booked = (await world.events("appointment.booked"))[-1]
    assert (booked.data["referral_id"], booked.data["enrollment_id"]) == (str(referral), str(enrollment))
    again = await world.book(
        patient,
        ARBAT_THERAPIST,
        start + timedelta(hours=1),
        org=ORG_MOSCOW_ID,
        service_code="ecg",
        payer=program,
        referral_id=str(referral),
    )
    assert problem(again) == (409, "referral_used", "SCH-9")
    other = await world.book(
        patient,
        ARBAT_THERAPIST,
        start + timedelta(hours=1),
        org=ORG_MOSCOW_ID,
        service_code="blood_sample",
        payer=program,
        referral_id=str(uuid.uuid4()),
    )
    assert problem(other) == (422, "referral_not_valid", "SCH-9")
    no_enrolment = await world.book(
        await world.patient(ORG_MOSCOW_ID),
        ARBAT_THERAPIST,
        start + timedelta(hours=2),
        org=ORG_MOSCOW_ID,
        payer={"kind": "program"},
    )
    assert problem(no_enrolment) == (422, "enrollment_not_active", "BIL-12")


MOSCOW = ZoneInfo("Europe/Moscow")


def moscow(day: int, month: int = 11) -> datetime:
    """09:00 in Moscow on a 2026 date (the Arbat therapist works Mon/Wed/Fri mornings, Saturdays)."""
    return datetime(2026, month, day, 9, 0, tzinfo=MOSCOW)


async def test_SCH_10_preventive_events_within_their_window_booked_three_days_ahead(world: World) -> None:
    """Today is Monday 23 November; the checkup is planned on Wednesday 2 December, so its window is
    22 November to 12 December, and a booking needs 3 days' notice but for a newborn."""
    adult = await world.patient(ORG_MOSCOW_ID)
    newborn = await world.patient(ORG_MOSCOW_ID, birth_date=date(2026, 11, 11))
    plan = [{"service_code": "checkup", "planned_on": "2026-12-02"}]
    payer = {"kind": "program", "ref": str(await enrol(world, adult, ORG_MOSCOW_ID, plan))}

    async def book(who: uuid.UUID, start: datetime, payer: dict[str, str]) -> Any:
        return await world.book(
            who, ARBAT_THERAPIST, start, org=ORG_MOSCOW_ID, service_code="checkup", payer=payer
        )

    assert problem(await book(adult, moscow(25), payer)) == (
        422,
        "booking_too_late",
        "SCH-10",
    )  # 2 days ahead
    assert problem(await book(adult, moscow(14, 12), payer)) == (422, "outside_preventive_window", "SCH-10")
    assert (await book(adult, moscow(27), payer)).status_code == 201  # 4 days ahead, inside the window
    child = {"kind": "program", "ref": str(await enrol(world, newborn, ORG_MOSCOW_ID, plan))}
    assert (await book(newborn, moscow(25), child)).status_code == 201  # first month of life: no notice
    set_by_doctor = [{"service_code": "checkup", "planned_on": "2026-12-02", "set_on": "2026-11-30"}]
    other = await world.patient(ORG_MOSCOW_ID)
    moved = {"kind": "program", "ref": str(await enrol(world, other, ORG_MOSCOW_ID, set_by_doctor))}
    assert problem(await book(other, moscow(2, 12), moved)) == (422, "outside_preventive_window", "SCH-10")
    assert (await book(other, moscow(30), moved)).status_code == 201  # the date the practitioner set


async def test_SCH_13_an_open_debt_refuses_paid_bookings_never_emergency_care(world: World) -> None:
    patient = await world.patient()
    debt = uuid.uuid4()
    await world.teach(
        DebtOpened(
            debt_id=debt, patient_id=patient, organization_id=ORG_ALMATY_ID, amount="1500.00", currency="KZT"
        ),
        debt,
    )
    start = await world.start(DOCTOR)
    assert problem(await world.book(patient, DOCTOR, start)) == (403, "debt_open", "SCH-13")
    insured = await world.book(patient, DOCTOR, start, payer={"kind": "insurer", "ref": "policy-1"})
    assert insured.status_code == 201, insured.text  # not a paid booking
    emergency = await world.book(patient, DOCTOR, start + timedelta(hours=1), emergency=True)
    assert emergency.status_code == 201, emergency.text
    await world.teach(
        DebtSettled(debt_id=debt, patient_id=patient, organization_id=ORG_ALMATY_ID), debt, sequence=2
    )
    settled = await world.book(patient, DOCTOR, start + timedelta(hours=2))
    assert settled.status_code == 201, settled.text


async def test_SCH_13_a_patient_refused_service_for_conduct_books_no_paid_visit(world: World) -> None:
    patient = await world.patient()
    await world.teach(
        PatientServiceRefused(
            patient_id=patient,
            organization_id=ORG_ALMATY_ID,
            refused_from=date(2026, 11, 1),
            reason="conduct",
        ),
        patient,
        sequence=3,
    )
    start = await world.start(DOCTOR)
    assert problem(await world.book(patient, DOCTOR, start)) == (403, "service_refused", "SCH-13")
    assert (await world.book(patient, DOCTOR, start, emergency=True)).status_code == 201


async def test_SCH_3_a_patient_books_for_themselves_through_the_cabinet(world: World) -> None:
    patient = await world.patient()
    start = await world.start(DOCTOR, after_days=2)
    r = await world.client.post(
        "/v1/appointments",
        json=world.body(patient, DOCTOR, start, channel="cabinet"),
        headers=world.as_patient(patient),
    )
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "cabinet"
    mine = await world.client.get(
        "/v1/appointments", params={"patient_id": str(patient)}, headers=world.as_patient(patient)
    )
    assert [a["id"] for a in mine.json()["items"]] == [r.json()["id"]]
    other = await world.client.get("/v1/appointments", headers=world.as_patient(await world.patient()))
    assert other.json()["items"] == []
