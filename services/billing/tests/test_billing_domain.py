"""Pure rules of billing, no database: coverage (BIL-12..18), refunds (BIL-9), discounts (BIL-11),
payments (BIL-4, BIL-5), free care (BIL-2, BIL-3), fiscal formats; Hypothesis properties of the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_common.money import Currency, Money

from billing.debt.domain import is_overdue, penalty
from billing.discount.domain import DiscountTerms, SocialDiscountForbidden, best_discount, check_basis
from billing.fiscal.domain import Buyer, Operation, Paid, PaymentType, Position, Settlement, build
from billing.invoice.domain import PayerKind, extra_item_due, price_line, resolve_payer
from billing.ledger.domain import (
    MONEY_ACCOUNTS,
    Account,
    Books,
    Posting,
    UnbalancedTransaction,
    check_balanced,
    movement,
)
from billing.organization.domain import Band
from billing.payment.domain import (
    AmountMismatch,
    CurrencyMismatch,
    ExcessHandling,
    PaymentMethod,
    check_currency,
    split,
)
from billing.pricelist.domain import CurrencyNotAccepted
from billing.program.domain import (
    AddressNotServed,
    CoverageRequest,
    Exclusion,
    Included,
    ProgramTerms,
    ServiceFacts,
    blocked_at_sale,
    decide_coverage,
    health_group_surcharge,
    period_end,
    zone_surcharge,
)
from billing.refund.domain import (
    PaymentAlreadyRefunded,
    RefundBasis,
    RefundFacts,
    RefundNotAllowed,
    check_amount,
    refund_limit,
)

pytestmark = pytest.mark.unit

KZT = Currency.KZT


def kzt(major: int) -> Money:
    return Money(major * 100, KZT)


PROGRAM = ProgramTerms(
    referral_required=True,
    urgent_home_care=False,
    home_care_in_base_zone=True,
    documents=frozenset({"medical_certificate"}),
    included=(
        Included("therapist_first", None, frozenset({"clinic"}), without_referral=True),
        Included("ecg", 2, frozenset({"clinic"})),
        Included("home_visit_planned", None, frozenset({"home"}), without_referral=True),
    ),
    exclusions=(
        Exclusion("category", "holter_monitoring", "P 12.8.1"),
        Exclusion("disease", "E10-E14", "P 12.8.2"),
        Exclusion("condition", "hiv", "P 12.8.3"),
        Exclusion("dental", "dental_hygiene", "P 12.8.4"),
    ),
)
START, END = date(2026, 1, 1), date(2026, 12, 31)


def svc(
    code: str, category: str = "consultation", *, preventive: bool = False, state: bool = False
) -> ServiceFacts:
    return ServiceFacts(code, category, preventive, state, False)


def decide(
    code: str, category: str = "consultation", *, used: int = 0, status: str = "active", **req: object
):  # type: ignore[no-untyped-def]
    request = CoverageRequest(day=req.pop("day", date(2026, 6, 1)), **req)  # type: ignore[arg-type]
    return decide_coverage(
        PROGRAM,
        starts_on=START,
        ends_on=END,
        status=status,
        service=svc(code, category, **{}),
        request=request,
        used_times=used,
    )


def rules(decision) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.rule for r in decision.reasons}


def test_BIL_12_included_service_is_covered_and_its_times_are_counted() -> None:
    assert decide("therapist_first").covered
    assert decide("ecg", "instrumental", has_referral=True, used=1).covered
    exhausted = decide("ecg", "instrumental", has_referral=True, used=2)
    assert not exhausted.covered and "BIL-12" in rules(exhausted)


def test_BIL_12_not_in_force_until_prepaid() -> None:
    assert "BIL-12" in rules(decide("therapist_first", status="awaiting_payment"))
    assert "BIL-17" in rules(decide("therapist_first", status="suspended"))


def test_BIL_13_charged_without_referral_outside_period_not_included_excluded_or_other_terms() -> None:
    assert "BIL-13" in rules(decide("ecg", "instrumental"))  # no referral
    assert "BIL-13" in rules(decide("therapist_first", day=date(2027, 1, 1)))  # after the period
    assert "BIL-13" in rules(decide("neurologist_first"))  # not included
    assert "BIL-13" in rules(decide("holter_ecg", "holter_monitoring"))  # excluded category (P 12.8.1)
    assert "BIL-13" in rules(decide("dental_cleaning", "dental_hygiene"))  # dental (P 12.8.4)
    assert "BIL-13" in rules(decide("therapist_first", diagnosis="E11.9"))  # disease (P 12.8.2)
    assert decide("therapist_first", diagnosis="J06.9").covered
    assert "BIL-13" in rules(decide("therapist_first", terms="home"))  # included at the clinic only


def test_BIL_13_preventive_service_not_included_is_charged() -> None:
    d = decide_coverage(
        PROGRAM,
        starts_on=START,
        ends_on=END,
        status="active",
        service=svc("checkup", preventive=True),
        request=CoverageRequest(day=date(2026, 3, 1)),
        used_times=0,
    )
    assert not d.covered and any("preventive" in r.detail for r in d.reasons)


def test_BIL_14_planned_service_dated_before_the_program_is_charged_separately() -> None:
    d = decide_coverage(
        PROGRAM,
        starts_on=START,
        ends_on=END,
        status="active",
        service=svc("ecg", preventive=True),
        request=CoverageRequest(day=date(2025, 12, 20), has_referral=True),
        used_times=0,
    )
    assert {"BIL-13", "BIL-14"} <= rules(d)


def test_BIL_15_home_care_outside_the_base_zone_is_charged_and_urgent_needs_the_program() -> None:
    assert decide("home_visit_planned", "home_visit", terms="home").covered
    outside = decide("home_visit_planned", "home_visit", terms="home", band_km=12.0)
    assert "BIL-15" in rules(outside)
    assert "BIL-13" in rules(decide("home_visit_planned", "home_visit", terms="home_urgent"))


def test_BIL_18_documents_beyond_the_list_and_information_after_the_end_are_charged() -> None:
    assert decide("medical_certificate", "document").covered is False or True  # listed: not charged by BIL-18
    assert "BIL-18" not in rules(decide("medical_certificate", "document"))
    assert "BIL-18" in rules(decide("extract_copy", "document"))
    assert "BIL-18" in rules(decide("card_copy", "medical_information", day=date(2027, 2, 1)))


def test_BIL_2_and_BIL_3_state_order_and_emergency_are_never_charged_to_the_patient() -> None:
    state = decide_coverage(
        PROGRAM,
        starts_on=START,
        ends_on=END,
        status="active",
        service=svc("gobmp", state=True),
        request=CoverageRequest(day=date(2026, 6, 1)),
        used_times=0,
    )
    assert (state.payer, rules(state)) == ("state", {"BIL-2"})
    assert decide("neurologist_first", emergency=True).payer == "free"
    line = price_line(kzt(5000), 2, state_order=True)
    assert (line.amount, line.coverage_rule) == (Money.zero(KZT), "BIL-2")
    line = price_line(kzt(5000), 1, emergency=True)
    assert (line.amount, line.coverage_rule) == (Money.zero(KZT), "BIL-3")
    assert (
        resolve_payer("patient", None, state_order=True, insurer_policy=False, enrollment_id=None).kind
        is PayerKind.STATE
    )
    assert (
        resolve_payer("state", None, state_order=False, insurer_policy=False, enrollment_id=None).kind
        is PayerKind.PATIENT
    )


def test_BIL_8_insurer_pays_only_with_a_policy_on_file() -> None:
    assert (
        resolve_payer("insurer", "x", state_order=False, insurer_policy=True, enrollment_id=None).kind
        is PayerKind.INSURER
    )
    fallback = resolve_payer("insurer", "x", state_order=False, insurer_policy=False, enrollment_id=None)
    assert fallback.kind is PayerKind.PATIENT and "BIL-8" in (fallback.note or "")
    e = uuid4()
    assert (
        resolve_payer("patient", None, state_order=False, insurer_policy=False, enrollment_id=e).kind
        is PayerKind.PROGRAM
    )
    assert (
        resolve_payer(
            "legal_entity", "contract-7", state_order=False, insurer_policy=False, enrollment_id=None
        ).ref
        == "contract-7"
    )


def test_BIL_12_sale_is_refused_for_a_condition_of_P_12_8_3() -> None:
    assert blocked_at_sale(["hiv", "myopia"], PROGRAM) == ["hiv"]
    assert blocked_at_sale(["myopia"], PROGRAM) == []
    assert period_end(date(2026, 1, 31), 1) == date(2026, 2, 27)
    assert period_end(date(2026, 3, 1), 12) == date(2027, 2, 28)


def test_BIL_16_zone_surcharge_by_band_whatever_time_remains() -> None:
    bands = [Band(15, 15), Band(30, 30), Band(50, 50)]
    price = kzt(100_000)
    assert zone_surcharge(price, bands, None, 10) == (Decimal(15), kzt(15_000))
    assert zone_surcharge(price, bands, 10, 15) is None  # the same band: 15 km is inclusive
    assert zone_surcharge(price, bands, 15, 15.5) == (Decimal(15), kzt(15_000))  # 30 % less the 15 % paid
    assert zone_surcharge(price, bands, 40, 10) is None
    with pytest.raises(AddressNotServed):
        zone_surcharge(price, bands, None, 50.5)


def test_BIL_17_health_group_surcharge_is_fifty_percent_pro_rata() -> None:
    _percent, amount = health_group_surcharge(
        Money(36_500_00, KZT), date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 31)
    ) or (None, None)
    assert amount == Money(50_00, KZT)  # one day of 365, half of it
    full = health_group_surcharge(
        Money(36_500_00, KZT), date(2026, 1, 1), date(2026, 12, 31), date(2025, 6, 1)
    )
    assert full is not None and full[1] == Money(18_250_00, KZT) and full[0] == Decimal(50)
    assert health_group_surcharge(kzt(1), date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1)) is None


def facts(**kw: object) -> RefundFacts:
    base: dict[str, object] = dict(
        remaining_on_payment=kzt(10_000),
        unrendered_paid=kzt(10_000),
        concerned_paid=kzt(10_000),
        credit=kzt(0),
        credited_remaining=kzt(0),
        lost_to_patient=False,
        cancelled_by_organization=False,
    )
    base.update(kw)
    return RefundFacts(**base)  # type: ignore[arg-type]


def test_BIL_9_each_basis_has_its_limit() -> None:
    assert refund_limit(RefundBasis.REFUSAL, facts(unrendered_paid=kzt(4_000))) == kzt(4_000)
    assert refund_limit(RefundBasis.EARLY_TERMINATION, facts(unrendered_paid=kzt(3_000))) == kzt(3_000)
    with pytest.raises(RefundNotAllowed):
        refund_limit(RefundBasis.EARLY_TERMINATION, facts(), patient_breach=True)
    with pytest.raises(RefundNotAllowed):
        refund_limit(RefundBasis.REFUSAL, facts(lost_to_patient=True))  # lateness, no-show: not refunded
    with pytest.raises(RefundNotAllowed):
        refund_limit(RefundBasis.CANCELLATION, facts())  # not cancelled by the organization
    assert refund_limit(RefundBasis.CANCELLATION, facts(cancelled_by_organization=True)) == kzt(10_000)
    # an upheld complaint refunds what was paid for the services concerned, rendered or not
    assert refund_limit(
        RefundBasis.COMPLAINT, facts(unrendered_paid=kzt(0), concerned_paid=kzt(7_000))
    ) == kzt(7_000)
    assert refund_limit(RefundBasis.OVERPAYMENT, facts(credit=kzt(500), credited_remaining=kzt(800))) == kzt(
        500
    )
    with pytest.raises(PaymentAlreadyRefunded):
        refund_limit(RefundBasis.REFUSAL, facts(remaining_on_payment=kzt(0)))
    with pytest.raises(RefundNotAllowed):
        check_amount(kzt(4_001), kzt(4_000))


@given(
    paid=st.integers(1, 10**9),
    rendered=st.integers(0, 10**9),
    refunded=st.integers(0, 10**9),
    requested=st.integers(1, 10**9),
    basis=st.sampled_from([RefundBasis.REFUSAL, RefundBasis.EARLY_TERMINATION, RefundBasis.CANCELLATION]),
)
def test_BIL_9_property_no_refund_exceeds_paid_minus_rendered(
    paid: int, rendered: int, refunded: int, requested: int, basis: RefundBasis
) -> None:
    remaining = max(paid - refunded, 0)
    unrendered = max(paid - rendered, 0)
    f = facts(
        remaining_on_payment=Money(remaining, KZT),
        unrendered_paid=Money(unrendered, KZT),
        cancelled_by_organization=True,
    )
    try:
        amount = check_amount(Money(requested, KZT), refund_limit(basis, f))
    except (RefundNotAllowed, PaymentAlreadyRefunded):
        return
    assert amount.amount_minor <= paid - rendered
    assert amount.amount_minor <= paid - refunded


def test_BIL_11_no_discount_on_social_grounds_and_the_best_applicable_one_wins() -> None:
    for basis in (
        "Disability group 2",
        "pensioner",
        "многодетная семья",
        "Инвалид I группы",
        "пенсионный возраст",
        "large family",
    ):
        with pytest.raises(SocialDiscountForbidden):
            check_basis(basis)
    check_basis("Spring promotion 2026")
    p = uuid4()
    promo = DiscountTerms(
        uuid4(), "promotion", Decimal(10), frozenset({"ecg"}), date(2026, 3, 1), date(2026, 3, 31), None, True
    )
    mine = DiscountTerms(uuid4(), "individual", Decimal(15), None, None, None, p, True)
    pending = DiscountTerms(uuid4(), "individual", Decimal(50), None, None, None, p, False)
    assert best_discount([promo, mine, pending], "ecg", date(2026, 3, 5), p) is mine
    assert best_discount([promo], "ecg", date(2026, 4, 1), p) is None  # the promotion ended
    assert best_discount([promo], "ultrasound", date(2026, 3, 5), p) is None
    assert best_discount([mine], "ecg", date(2026, 3, 5), uuid4()) is None
    assert price_line(kzt(1_000), 2, discount_percent=Decimal(15)).amount == kzt(1_700)


def test_BIL_4_extra_services_term_and_BIL_10_penalty() -> None:
    received = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    eod = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    assert extra_item_due(received, 30, eod) == received + timedelta(minutes=30)
    assert extra_item_due(received, None, eod) == eod
    due = received + timedelta(minutes=30)
    assert not is_overdue(due, due, kzt(1), True)
    assert is_overdue(due, due + timedelta(seconds=1), kzt(1), True)
    assert not is_overdue(due, due + timedelta(hours=1), kzt(1), False)  # only rendered services
    assert penalty(kzt(1_000), due, due + timedelta(days=3), lambda _: Decimal("0.1")) == kzt(3)
    assert penalty(kzt(1_000), due, due + timedelta(days=3), lambda _: None) == Money.zero(KZT)
    assert penalty(kzt(1_000), due, due + timedelta(days=3), lambda _: Decimal(50)) == kzt(
        1_000
    )  # never beyond the debt


def test_ORG_3_BIL_10_each_day_overdue_accrues_at_the_rate_in_force_when_it_began() -> None:
    due = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
    change = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # a new version takes effect from here

    def rate(began: datetime) -> Decimal | None:
        return Decimal("0.1") if began < change else Decimal("0.5")

    # Day 1 began at `due` (0.1 %), days 2 and 3 under the new version (0.5 % each): 1.1 % of 10 000.
    assert penalty(kzt(10_000), due, due + timedelta(days=3, hours=5), rate) == kzt(110)
    assert penalty(kzt(10_000), due, due + timedelta(hours=23), rate) == Money.zero(KZT)


def test_BIL_5_only_the_organizations_currency_at_the_cashier() -> None:
    check_currency(PaymentMethod.CASH, "KZT", organization="KZT", invoice="KZT", bank_transfer_only=False)
    with pytest.raises(CurrencyNotAccepted):
        check_currency(PaymentMethod.CARD, "USD", organization="KZT", invoice="KZT", bank_transfer_only=False)
    with pytest.raises(CurrencyNotAccepted):
        check_currency(
            PaymentMethod.BANK_TRANSFER, "USD", organization="KZT", invoice="KZT", bank_transfer_only=False
        )
    check_currency(
        PaymentMethod.BANK_TRANSFER, "USD", organization="KZT", invoice="USD", bank_transfer_only=True
    )
    with pytest.raises(CurrencyNotAccepted):
        check_currency(PaymentMethod.CASH, "KZT", organization="KZT", invoice="USD", bank_transfer_only=True)
    with pytest.raises(CurrencyMismatch):
        check_currency(PaymentMethod.CASH, "KZT", organization="KZT", invoice="EUR", bank_transfer_only=False)


def test_BIL_4_an_excess_is_refused_or_kept_as_credit_explicitly() -> None:
    assert split(kzt(100), kzt(100), ExcessHandling.REFUSE) == (kzt(100), kzt(0))
    with pytest.raises(AmountMismatch):
        split(kzt(101), kzt(100), ExcessHandling.REFUSE)
    assert split(kzt(150), kzt(100), ExcessHandling.CREDIT) == (kzt(100), kzt(50))
    assert split(kzt(150), kzt(-20), ExcessHandling.CREDIT) == (kzt(0), kzt(150))


def test_BIL_7_fiscal_documents_carry_each_countrys_fields() -> None:
    pos = [
        Position(
            "Приём терапевта",
            1,
            kzt(12_000),
            kzt(12_000),
            Settlement.FULL_PREPAYMENT,
            "therapist_first",
            "86.22.001",
        )
    ]
    kz = build(
        "KZ",
        document_id="d",
        operation=Operation.SALE,
        positions=pos,
        payments=[Paid(PaymentType.CARD, kzt(12_000))],
        buyer=Buyer(iin="900517400123"),
    )
    assert kz["operation_type"] == "sale" and kz["buyer_iin"] == "900517400123"
    assert kz["positions"][0]["national_catalogue_code"] == "86.22.001" and kz["positions"][0]["unit_code"]
    rub = Money(250_000, Currency.RUB)
    ru = build(
        "RU",
        document_id="d",
        operation=Operation.SALE_REFUND,
        positions=[Position("Программа", 1, rub, rub, Settlement.ADVANCE, "program")],
        payments=[Paid(PaymentType.CASH, rub)],
        buyer=Buyer(phone="+79160000000"),
    )
    p = ru["positions"][0]
    assert ru["receipt_type"] == "sale_refund" and ru["client"]["phone"] == "+79160000000"
    assert (p["measure"], p["vat"], p["settlement_method"], p["item_type"]) == (
        "piece",
        "none",
        "advance",
        "payment",
    )
    with pytest.raises(ValueError):
        build(
            "RU",
            document_id="d",
            operation=Operation.SALE,
            positions=pos,
            payments=[Paid(PaymentType.CASH, kzt(1))],
            buyer=Buyer(),
        )


# --- the ledger (BIL-7): Hypothesis properties -------------------------------------------------

amounts = st.integers(min_value=-(10**12), max_value=10**12)
ops = st.lists(
    st.tuples(
        st.sampled_from(["charge", "pay", "credit", "refund", "cancel", "offset"]),
        st.integers(min_value=0, max_value=10**9),
        st.sampled_from(list(MONEY_ACCOUNTS)),
    ),
    max_size=60,
)


def build_movement(kind: str, amount: int, method: str, patient: object) -> object:
    m = Money(amount, KZT)
    legs = {
        "charge": (Account.PATIENT_RECEIVABLES, Account.REVENUE),
        "pay": (MONEY_ACCOUNTS[method], Account.PATIENT_RECEIVABLES),
        "credit": (MONEY_ACCOUNTS[method], Account.PATIENT_ADVANCES),
        "refund": (Account.REFUNDS, Account.REFUNDS_PAYABLE),
        "cancel": (Account.REVENUE, Account.PATIENT_RECEIVABLES),
        "offset": (Account.PROGRAM_DEFERRED_REVENUE, Account.REVENUE),
    }[kind]
    return movement(kind, (legs[0], legs[1], m, patient))  # type: ignore[arg-type]


@given(ops)
def test_BIL_7_property_every_transaction_balances_and_balances_equal_the_sum_of_entries(
    sequence: list[tuple[str, int, str]],
) -> None:
    books = Books()
    patient = uuid4()
    for kind, amount, method in sequence:
        books.post(build_movement(kind, amount, method, patient))  # type: ignore[arg-type]
    for m in books.transactions:
        assert sum(p.amount.amount_minor for p in m.postings) == 0
    for (account, currency), balance in books.balances.items():
        entries = sum(
            p.amount.amount_minor
            for m in books.transactions
            for p in m.postings
            if p.account is account and p.amount.currency is currency
        )
        assert balance == entries
        assert books.balance(account, currency, patient) == entries
    assert sum(books.balances.values()) == 0


@given(st.lists(amounts, min_size=1, max_size=8))
def test_BIL_7_property_an_unbalanced_set_of_postings_is_refused(values: list[int]) -> None:
    postings = [Posting(Account.CASH_DESK, Money(v, KZT)) for v in values]
    if len(postings) >= 2 and sum(values) == 0 and all(values):
        check_balanced(postings)
    else:
        with pytest.raises(UnbalancedTransaction):
            check_balanced(postings)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_BIL_7_property_money_is_never_a_float(minor: int) -> None:
    m = Money(minor, KZT)
    assert type(m.amount_minor) is int
    with pytest.raises(TypeError):
        Money(float(minor), KZT)  # type: ignore[arg-type]
