"""HV-10 routing of a deterioration report as plain Python (SCH-15 attending practitioner)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from home_visits.deterioration.domain import KnownDoctor, attending_doctor

pytestmark = pytest.mark.unit

ORG = uuid4()
NAMED, ATTENDING, LATEST = uuid4(), uuid4(), uuid4()


def route(attending: KnownDoctor | None, *, named: bool = False, latest: bool = True) -> object:
    return attending_doctor(
        ORG,
        named=NAMED if named else None,
        attending=attending,
        latest_visit_doctor=LATEST if latest else None,
    )


def test_HV_10_SCH_15_named_then_attending_then_latest_visit_then_nobody() -> None:
    known = KnownDoctor(ATTENDING, ORG, active=True)
    assert route(known, named=True) == NAMED
    assert route(known) == ATTENDING
    assert route(None) == LATEST
    assert route(None, latest=False) is None


def test_HV_10_SCH_15_an_inactive_or_foreign_attending_practitioner_is_skipped() -> None:
    assert route(KnownDoctor(ATTENDING, ORG, active=False)) == LATEST
    assert route(KnownDoctor(ATTENDING, uuid4(), active=True)) == LATEST
    assert route(KnownDoctor(ATTENDING, uuid4(), active=True), latest=False) is None
