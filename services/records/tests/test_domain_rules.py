"""Pure rules of records' domain modules, without a database (expected values from domain-rules.md
and the source documents)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from clinic_common.calendar import Country
from clinic_common.errors import AppError

from records.card.domain import (
    ConsentState,
    EntryVersion,
    InformedConsentRequired,
    InterventionRefused,
    InvalidIcd10,
    check_icd10,
    check_intervention_start,
    current_versions,
    health_group_change,
    needs_consent,
)
from records.complaint.domain import RefundNotAllowed, answer_due_on, check_refund, is_overdue
from records.conduct.domain import RefusalEndangers, TerminationNotAllowed, check_termination
from records.document.domain import (
    AuthorityNotShown,
    ChannelNotOffered,
    EmailChannelForbidden,
    Holder,
    ResultTermExceeded,
    check_channel,
    check_hand_over,
    check_result_term,
    delay_announce_by,
)
from records.link.domain import (
    Allows,
    ConsentSignerNotAllowed,
    DisclosureConsentRequired,
    LinkDoesNotAllow,
    LinkKind,
    LinkView,
    RepresentativeRequired,
    check_accompanied,
    consent_signer,
    link_may_read,
    minority,
)
from records.notification.domain import reminder_due_times, routes
from records.offer.domain import (
    OfferNoticeTooShort,
    OfferPeriod,
    check_offer_notice,
    contract_copies,
    offer_in_force,
)
from records.patient.domain import (
    InvalidPhone,
    WrittenApplicationRequired,
    age_on,
    check_change,
    normalize_phone,
)

pytestmark = pytest.mark.unit

PATIENT = uuid.uuid4()
PARENT = uuid.uuid4()


def parent_link(**allows: bool) -> LinkView:
    a = {"health_information": True, "documents": True, "sign_consent": True, **allows}
    return LinkView(uuid.uuid4(), PARENT, LinkKind.LEGAL_REPRESENTATIVE, "parent", Allows(**a))


# REC-1 ------------------------------------------------------------------------------------------


def test_REC_1_phone_is_validated_and_stored_as_e164() -> None:
    assert normalize_phone("+7 701 123 45 67", "KZ") == "+77011234567"
    assert normalize_phone("8 (916) 123-45-67", "RU") == "+79161234567"
    for bad in ("+7 000", "12345678", "+1 (000) 000-0000"):
        with pytest.raises(InvalidPhone):
            normalize_phone(bad, "KZ")


# REC-4 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer_is_patient", "age", "copies"),
    [(True, 40, 2), (True, 10, 2), (False, 14, 2), (False, 15, 3), (False, 40, 3)],
)
def test_REC_4_contract_copies(customer_is_patient: bool, age: int, copies: int) -> None:
    assert contract_copies(customer_is_patient=customer_is_patient, patient_age=age) == copies


# ORG-3, REC-3 -----------------------------------------------------------------------------------


def test_ORG_3_offer_change_needs_5_working_days_notice_over_kz_holidays() -> None:
    # Published Mon 14 Dec 2026; 16 Dec is Independence Day: the 5th working day after is 22 Dec.
    check_offer_notice(Country.KZ, date(2026, 12, 14), date(2026, 12, 22), 5)
    with pytest.raises(OfferNoticeTooShort) as err:
        check_offer_notice(Country.KZ, date(2026, 12, 14), date(2026, 12, 21), 5)
    assert err.value.extra["earliest_effective_from"] == "2026-12-22"


def test_REC_3_version_in_force_is_the_latest_effective_one() -> None:
    v1 = OfferPeriod(uuid.uuid4(), date(2026, 1, 1), date(2031, 1, 1))
    v2 = OfferPeriod(uuid.uuid4(), date(2026, 12, 22), date(2031, 12, 22))
    assert offer_in_force([v1, v2], date(2026, 12, 21)) == v1
    assert offer_in_force([v1, v2], date(2026, 12, 22)) == v2  # using services after it takes effect
    assert offer_in_force([v1], date(2031, 1, 1)) is None  # O 1.5: valid for five years


# REC-6, REC-7 -----------------------------------------------------------------------------------


def test_REC_7_from_15_the_patient_signs_personally() -> None:
    teen = minority(15, drug_addiction_treatment=False, age_default=15, age_drug=16)
    assert consent_signer(PATIENT, patient_id=PATIENT, minor=teen, links=[parent_link()]).value == "patient"
    with pytest.raises(ConsentSignerNotAllowed):
        consent_signer(PARENT, patient_id=PATIENT, minor=teen, links=[parent_link()])


def test_REC_7_drug_treatment_moves_the_age_to_16() -> None:
    treated = minority(15, drug_addiction_treatment=True, age_default=15, age_drug=16)
    assert consent_signer(PARENT, patient_id=PATIENT, minor=treated, links=[parent_link()]).value == (
        "legal_representative"
    )
    with pytest.raises(ConsentSignerNotAllowed):
        consent_signer(PATIENT, patient_id=PATIENT, minor=treated, links=[parent_link()])


def test_REC_6_under_15_a_representative_signs_only_if_the_link_allows() -> None:
    child = minority(10, drug_addiction_treatment=False, age_default=15, age_drug=16)
    with pytest.raises(ConsentSignerNotAllowed) as err:
        consent_signer(PARENT, patient_id=PATIENT, minor=child, links=[parent_link(sign_consent=False)])
    assert err.value.to_problem()["rule"] == "REC-6"
    with pytest.raises(ConsentSignerNotAllowed):
        consent_signer(PATIENT, patient_id=PATIENT, minor=child, links=[parent_link()])


def test_REC_6_a_child_under_15_is_seen_with_a_representative_except_in_an_emergency() -> None:
    child = minority(14, drug_addiction_treatment=False, age_default=15, age_drug=16)
    with pytest.raises(RepresentativeRequired):
        check_accompanied(child, None, [parent_link()], emergency=False)
    check_accompanied(child, PARENT, [parent_link()], emergency=False)
    check_accompanied(child, None, [], emergency=True)  # P 8.2
    check_accompanied(
        minority(15, drug_addiction_treatment=True, age_default=15, age_drug=16), None, [], emergency=False
    )


def test_REC_7_parents_read_a_15_year_olds_secrets_only_with_consent() -> None:
    teen = minority(16, drug_addiction_treatment=False, age_default=15, age_drug=16)
    with pytest.raises(DisclosureConsentRequired):
        link_may_read(parent_link(), minor=teen, patient_consented_disclosure=False)
    link_may_read(parent_link(), minor=teen, patient_consented_disclosure=True)
    link_may_read(
        parent_link(),
        minor=minority(14, drug_addiction_treatment=False, age_default=15, age_drug=16),
        patient_consented_disclosure=False,
    )


def test_REC_5_a_link_without_health_information_reads_nothing() -> None:
    adult = minority(40, drug_addiction_treatment=False, age_default=15, age_drug=16)
    trusted = LinkView(uuid.uuid4(), PARENT, LinkKind.TRUSTED_PERSON, "spouse", Allows(False, True, False))
    with pytest.raises(LinkDoesNotAllow):
        link_may_read(trusted, minor=adult, patient_consented_disclosure=True)


def test_age_counts_full_years() -> None:
    assert age_on(date(2010, 12, 4), date(2026, 12, 3)) == 15
    assert age_on(date(2010, 12, 3), date(2026, 12, 3)) == 16


# REC-8, REC-9, REC-10, REC-12 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [("j06.9", "shape"), ("J069", "shape"), ("Z99.99", "unknown"), ("A00-A09", "shape"), ("XYZ", "shape")],
)
def test_REC_8_icd10_codes_are_who_categories(code: str, reason: str) -> None:
    check_icd10("diagnosis", "J06.9")
    check_icd10("diagnosis", "U07.1")
    with pytest.raises(InvalidIcd10) as err:
        check_icd10("diagnosis", code)
    assert err.value.extra["reason"] == reason
    with pytest.raises(InvalidIcd10):
        check_icd10("diagnosis", None)
    check_icd10("examination", None)


def test_REC_8_amendments_keep_history_and_the_latest_is_current() -> None:
    t = datetime(2026, 12, 3, tzinfo=UTC)
    a = EntryVersion(uuid.uuid4(), None, t)
    b = EntryVersion(uuid.uuid4(), a.id, t + timedelta(minutes=1))
    c = EntryVersion(uuid.uuid4(), b.id, t + timedelta(minutes=2))
    other = EntryVersion(uuid.uuid4(), None, t)
    assert current_versions([c, a, other, b]) == {a.id: c.id, other.id: other.id}


def test_REC_9_consent_is_required_before_an_intervention_that_needs_it() -> None:
    assert needs_consent("injection", "x", frozenset())
    assert needs_consent("other", "endoscopy", frozenset({"endoscopy"}))
    assert not needs_consent("other", "massage", frozenset({"endoscopy"}))
    none = ConsentState(consented=False, refused=False)
    with pytest.raises(InformedConsentRequired):
        check_intervention_start(required=True, state=none, legal_ground=None)
    assert (
        check_intervention_start(required=True, state=ConsentState(True, False), legal_ground=None) is False
    )
    assert check_intervention_start(required=True, state=none, legal_ground="O 5.2.11: unconscious") is True


def test_REC_10_a_refusal_blocks_the_intervention() -> None:
    with pytest.raises(InterventionRefused):
        check_intervention_start(required=True, state=ConsentState(False, True), legal_ground=None)


def test_REC_12_a_change_to_2b_or_3_is_for_billing() -> None:
    assert health_group_change("1", "2B") is True
    assert health_group_change("2B", "3") is True
    assert health_group_change(None, "2A") is False
    with pytest.raises(AppError):
        health_group_change("2A", "2A")


# REC-16, REC-17, REC-18 -------------------------------------------------------------------------


def test_REC_17_email_is_never_a_channel() -> None:
    with pytest.raises(EmailChannelForbidden):
        check_channel("email", ("in_person", "cabinet", "whatsapp"))
    with pytest.raises(ChannelNotOffered):
        check_channel("whatsapp", ("in_person", "cabinet"))  # the P preset uses no WhatsApp
    check_channel("whatsapp", ("in_person", "cabinet", "whatsapp"))
    check_channel("in_person", ())


def test_REC_16_hand_over_needs_the_document_on_record() -> None:
    holders = [
        Holder(PATIENT, ("id_card", "045 123"), True),
        Holder(PARENT, ("power_of_attorney", "77"), False),
    ]
    check_hand_over(PATIENT, ("ID_CARD", "045123"), holders)
    with pytest.raises(AuthorityNotShown):
        check_hand_over(PATIENT, ("passport", "045123"), holders)
    with pytest.raises(AuthorityNotShown):
        check_hand_over(PARENT, ("power_of_attorney", "77"), holders)  # the link does not allow documents


def test_REC_18_a_late_result_is_announced_within_one_working_day() -> None:
    assert delay_announce_by(Country.KZ, date(2026, 12, 15)) == date(2026, 12, 17)  # 16 Dec: holiday


@pytest.mark.parametrize(
    ("country", "latest", "refused"),
    [
        (Country.KZ, date(2026, 12, 25), date(2026, 12, 28)),  # 16 Dec, Independence Day, does not count
        (Country.RU, date(2027, 1, 19), date(2027, 1, 20)),  # 31 Dec to 10 Jan are days off
    ],
)
def test_REC_18_a_result_is_promised_within_15_working_days_of_the_order(
    country: Country, latest: date, refused: date
) -> None:
    ordered = date(2026, 12, 3) if country is Country.KZ else date(2026, 12, 18)
    check_result_term(country, ordered, latest)
    with pytest.raises(ResultTermExceeded) as e:
        check_result_term(country, ordered, refused)
    assert (e.value.status, e.value.code, e.value.rule) == (422, "result_term_exceeded", "REC-18")
    assert e.value.extra == {"latest": latest.isoformat()}
    check_result_term(country, None, refused)  # no order date: nothing to measure against
    check_result_term(country, ordered, None)


def test_REC_17_medical_messages_never_go_by_sms_in_full_and_whatsapp_only_to_the_registered_number() -> None:
    r = routes(
        preferences=["cabinet", "sms", "whatsapp"],
        medical=True,
        cabinet_open=True,
        org_channels=("in_person", "cabinet", "whatsapp"),
        phone="+77010000001",
        registration_phone="+77010000000",
    )
    assert [(x.channel, x.recipient, x.full_content) for x in r] == [
        ("cabinet", None, True),
        ("whatsapp", "+77010000000", True),
        ("sms", "+77010000001", False),
    ]


def test_REC_18_a_restricted_cabinet_notifies_by_another_channel() -> None:
    r = routes(
        preferences=["cabinet"],
        medical=True,
        cabinet_open=False,
        org_channels=("in_person", "cabinet"),
        phone="+77010000001",
        registration_phone="+77010000001",
    )
    assert [(x.channel, x.full_content) for x in r] == [("cabinet", True), ("sms", False)]


# REC-19 -----------------------------------------------------------------------------------------


def test_REC_19_patient_changes_phone_and_email_only() -> None:
    check_change(frozenset({"phone", "email"}), by_patient=True, application_ref=None)
    with pytest.raises(WrittenApplicationRequired):
        check_change(frozenset({"phone", "last_name"}), by_patient=True, application_ref="app-1")
    with pytest.raises(WrittenApplicationRequired):
        check_change(frozenset({"address"}), by_patient=False, application_ref=None)
    check_change(frozenset({"address"}), by_patient=False, application_ref="app-1")


# REC-20, REC-21 ---------------------------------------------------------------------------------


def test_REC_20_complaint_deadline_counts_kz_working_days_over_holidays() -> None:
    """Filed Mon 14 Dec 2026. Not counted: 16 Dec (Independence Day), weekends, 1 Jan, 4 Jan (New
    Year's Day observed for Saturday 2 Jan), 7 Jan (Orthodox Christmas). The 20th working day after
    is Fri 15 Jan 2027; by weekdays alone it would be Mon 11 Jan."""
    assert answer_due_on("complaint", Country.KZ, date(2026, 12, 14)) == date(2027, 1, 15)
    assert is_overdue(date(2027, 1, 15), False, date(2027, 1, 15)) is False
    assert is_overdue(date(2027, 1, 15), False, date(2027, 1, 16)) is True
    assert is_overdue(date(2027, 1, 15), True, date(2027, 2, 1)) is False


def test_REC_21_feedback_is_answered_within_15_working_days() -> None:
    assert answer_due_on("feedback", Country.KZ, date(2026, 12, 14)) == date(2027, 1, 8)
    assert answer_due_on("medical_incident", Country.KZ, date(2026, 12, 14)) is None


def test_REC_20_only_an_upheld_complaint_orders_a_refund() -> None:
    from decimal import Decimal

    check_refund(True, Decimal("1500"), True)
    for upheld, invoice in ((False, True), (True, False)):
        with pytest.raises(RefundNotAllowed):
            check_refund(upheld, Decimal("1500"), invoice)


# REC-22 -----------------------------------------------------------------------------------------


def test_REC_22_contract_ends_after_two_failures_never_when_it_endangers() -> None:
    with pytest.raises(TerminationNotAllowed):
        check_termination(1, threatens_life_or_health=False)
    check_termination(2, threatens_life_or_health=False)
    with pytest.raises(RefusalEndangers):
        check_termination(5, threatens_life_or_health=True)


# reminders --------------------------------------------------------------------------------------


def test_reminder_times_leave_out_the_past_ones() -> None:
    start = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    assert reminder_due_times(start, [1440, 120], start - timedelta(hours=3)) == [
        (120, start - timedelta(hours=2))
    ]
    assert reminder_due_times(start, [120, 1440], start - timedelta(days=2)) == [
        (1440, start - timedelta(days=1)),
        (120, start - timedelta(hours=2)),
    ]


def test_policy_values_come_from_the_organizations_policy_with_named_defaults() -> None:
    from records.organization.models import OrganizationProjection
    from records.policy import policy_of

    org = OrganizationProjection(
        id=uuid.uuid4(),
        name="x",
        country="RU",
        currency="RUB",
        time_zone="Europe/Moscow",
        source_sequence=1,
        policy={
            "reminder_lead_minutes": [60, 1440],
            "medical_info_channels": ["in_person", "cabinet"],
            "photo_video_consent_with_offer": False,
            "personal_consent_age": 15,
        },
    )
    p = policy_of(org, date(2026, 12, 3))
    assert (p.country, p.reminder_lead_minutes, p.medical_info_channels) == (
        Country.RU,
        (1440, 60),
        ("in_person", "cabinet"),
    )
    assert p.photo_video_consent_with_offer is False
    bare = policy_of(
        OrganizationProjection(
            id=uuid.uuid4(),
            name="y",
            country="KZ",
            currency="KZT",
            time_zone="Asia/Almaty",
            source_sequence=1,
            policy={},
        ),
        date(2026, 12, 3),
    )
    assert (
        bare.reminder_lead_minutes,
        bare.document_due_days("extract"),
        bare.offer_change_notice_working_days,
    ) == (
        (1440, 120),
        5,
        5,
    )


def test_ORG_3_records_reads_the_policy_version_in_force_on_the_date() -> None:
    from records.organization.models import OrganizationProjection
    from records.policy import policy_of

    org = OrganizationProjection(
        id=uuid.uuid4(),
        name="x",
        country="KZ",
        currency="KZT",
        time_zone="Asia/Almaty",
        source_sequence=1,
        policy={"personal_consent_age": 15},  # in force when scheduling announced it
        policy_versions=[
            {"effective_from": "2026-01-01", "policy": {"personal_consent_age": 15}},
            {"effective_from": "2026-12-07", "policy": {"personal_consent_age": 16}},
        ],
    )
    assert policy_of(org, date(2026, 12, 6)).personal_consent_age == 15
    assert policy_of(org, date(2026, 12, 7)).personal_consent_age == 16
