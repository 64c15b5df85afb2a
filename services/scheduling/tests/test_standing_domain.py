"""The patient's standing for a booking without a database (SCH-9, SCH-10, SCH-13, BIL-4)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from scheduling.standing.domain import (
    BookingTooLate,
    DebtOpen,
    Enrollment,
    EnrollmentNotActive,
    OutsidePreventiveWindow,
    Referral,
    ReferralNotValid,
    ReferralUsed,
    ServiceRefused,
    check_preventive,
    check_referral,
    check_standing,
    may_start,
    needs_referral,
    pick_enrollment,
    preventive_date,
)

pytestmark = pytest.mark.unit

DAY = date(2026, 12, 1)
ME = uuid4()


def test_SCH_13_open_debt_blocks_paid_bookings_emergency_never() -> None:
    with pytest.raises(DebtOpen):
        check_standing(payer_kind="patient", emergency=False, open_debt=True, refused_from=None, day=DAY)
    check_standing(payer_kind="patient", emergency=True, open_debt=True, refused_from=None, day=DAY)
    check_standing(payer_kind="program", emergency=False, open_debt=True, refused_from=None, day=DAY)
    check_standing(payer_kind="insurer", emergency=False, open_debt=True, refused_from=None, day=DAY)


def test_SCH_13_refusal_of_service_from_its_date() -> None:
    with pytest.raises(ServiceRefused):
        check_standing(payer_kind="patient", emergency=False, open_debt=False, refused_from=DAY, day=DAY)
    check_standing(
        payer_kind="patient", emergency=False, open_debt=False, refused_from=DAY + timedelta(days=1), day=DAY
    )
    check_standing(payer_kind="patient", emergency=True, open_debt=False, refused_from=DAY, day=DAY)


def test_SCH_9_referral_categories_and_checks() -> None:
    assert needs_referral("instrumental", False) and needs_referral("sample_collection", False)
    assert needs_referral("procedure", False) and needs_referral("consultation", True)
    assert not needs_referral("consultation", False)
    ok = Referral(uuid4(), ME, "ecg", DAY - timedelta(days=3), DAY + timedelta(days=10), used=False)
    check_referral(ok, patient_id=ME, service_code="ecg", day=DAY)
    for bad in (None, Referral(ok.id, uuid4(), "ecg", ok.issued_on, ok.valid_until, False)):
        with pytest.raises(ReferralNotValid):
            check_referral(bad, patient_id=ME, service_code="ecg", day=DAY)
    with pytest.raises(ReferralNotValid):
        check_referral(ok, patient_id=ME, service_code="blood_sample", day=DAY)
    with pytest.raises(ReferralNotValid):
        check_referral(ok, patient_id=ME, service_code="ecg", day=DAY + timedelta(days=11))
    with pytest.raises(ReferralUsed):
        check_referral(
            Referral(ok.id, ME, "ecg", ok.issued_on, None, True), patient_id=ME, service_code="ecg", day=DAY
        )


def test_BIL_12_program_booking_needs_an_active_enrolment_covering_the_day() -> None:
    active = Enrollment(uuid4(), date(2026, 1, 1), date(2026, 12, 31), "active", [])
    suspended = Enrollment(uuid4(), date(2026, 1, 1), date(2026, 12, 31), "suspended", [])
    assert pick_enrollment([active, suspended], None, DAY) == active
    with pytest.raises(EnrollmentNotActive):
        pick_enrollment([suspended], None, DAY)
    with pytest.raises(EnrollmentNotActive):
        pick_enrollment([active], None, date(2027, 1, 1))


def test_SCH_10_preventive_window_and_three_days_notice_except_newborns() -> None:
    planned = date(2026, 12, 20)
    today = date(2026, 12, 1)
    check_preventive(
        planned, False, day=planned - timedelta(days=10), today=today, birth_date=date(1990, 1, 1)
    )
    check_preventive(planned, False, day=planned + timedelta(days=10), today=today, birth_date=None)
    with pytest.raises(OutsidePreventiveWindow):
        check_preventive(planned, False, day=planned + timedelta(days=11), today=today, birth_date=None)
    with pytest.raises(OutsidePreventiveWindow):
        check_preventive(planned, True, day=planned + timedelta(days=1), today=today, birth_date=None)
    with pytest.raises(BookingTooLate):
        check_preventive(
            today + timedelta(days=5), False, day=today + timedelta(days=2), today=today, birth_date=None
        )
    check_preventive(
        planned, False, day=planned - timedelta(days=10), today=planned - timedelta(days=13), birth_date=None
    )
    newborn = today - timedelta(days=20)
    check_preventive(
        today + timedelta(days=1), True, day=today + timedelta(days=1), today=today, birth_date=newborn
    )
    assert preventive_date([{"service_code": "checkup", "planned_on": "2026-12-20"}], "checkup") == (
        planned,
        False,
    )
    assert preventive_date([{"service_code": "checkup", "set_on": "2026-12-22"}], "checkup") == (
        date(2026, 12, 22),
        True,
    )
    assert preventive_date([{"service_code": "other", "planned_on": "2026-12-20"}], "checkup") is None


def test_BIL_4_a_paid_visit_starts_only_once_paid_under_prepayment() -> None:
    assert not may_start(payer_kind="patient", emergency=False, prepayment=True, settled=False)
    assert may_start(payer_kind="patient", emergency=False, prepayment=True, settled=True)
    assert may_start(payer_kind="insurer", emergency=False, prepayment=True, settled=False)  # covered
    assert may_start(payer_kind="program", emergency=False, prepayment=True, settled=False)
    assert may_start(payer_kind="patient", emergency=True, prepayment=True, settled=False)  # BIL-3
    assert may_start(payer_kind="patient", emergency=False, prepayment=False, settled=False)  # P preset
