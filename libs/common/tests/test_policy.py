"""ORG-3: the policy version in force on a local date, as consumers store the versions."""

from datetime import date

import pytest

from clinic_common.events.payloads.scheduling import PolicyVersionData
from clinic_common.policy import policy_in_force

pytestmark = pytest.mark.unit

# As `organization.upserted` carries them, stored as JSON, deliberately not in date order.
VERSIONS = [
    PolicyVersionData(effective_from=date(2027, 1, 1), policy={"penalty": "0.5"}).model_dump(mode="json"),
    PolicyVersionData(effective_from=date(2026, 1, 1), policy={"penalty": "0.1"}).model_dump(mode="json"),
    PolicyVersionData(effective_from=date(2026, 12, 1), policy={"penalty": "0.2"}).model_dump(mode="json"),
]
CURRENT = {"penalty": "current"}


def test_ORG_3_the_latest_version_on_or_before_the_date_is_in_force() -> None:
    assert policy_in_force(VERSIONS, date(2026, 6, 1), CURRENT) == {"penalty": "0.1"}
    assert policy_in_force(VERSIONS, date(2026, 11, 30), CURRENT) == {"penalty": "0.1"}
    assert policy_in_force(VERSIONS, date(2026, 12, 1), CURRENT) == {"penalty": "0.2"}
    assert policy_in_force(VERSIONS, date(2026, 12, 31), CURRENT) == {"penalty": "0.2"}
    assert policy_in_force(VERSIONS, date(2027, 1, 1), CURRENT) == {"penalty": "0.5"}
    assert policy_in_force(VERSIONS, date(2030, 1, 1), CURRENT) == {"penalty": "0.5"}


def test_ORG_3_before_the_first_version_the_earliest_applies_as_scheduling_answers() -> None:
    assert policy_in_force(VERSIONS, date(2025, 12, 31), CURRENT) == {"penalty": "0.1"}


def test_ORG_3_without_versions_the_announced_policy_applies() -> None:
    assert policy_in_force([], date(2026, 6, 1), CURRENT) == CURRENT


def test_ORG_3_dates_may_be_dates_or_iso_strings_and_an_empty_version_is_empty() -> None:
    versions = [
        {"effective_from": date(2026, 1, 1), "policy": {"a": 1}},
        {"effective_from": "2026-03-01", "policy": {}},
    ]
    assert policy_in_force(versions, date(2026, 2, 28), CURRENT) == {"a": 1}
    assert policy_in_force(versions, date(2026, 3, 1), CURRENT) == {}


def test_ORG_3_the_answer_is_a_copy_the_caller_may_change() -> None:
    answer = policy_in_force(VERSIONS, date(2026, 6, 1), CURRENT)
    answer["penalty"] = "changed"
    assert policy_in_force(VERSIONS, date(2026, 6, 1), CURRENT) == {"penalty": "0.1"}
