"""Program addresses and their one change (HV-8, BIL-16), deterioration reports and the escalation
sweep (HV-10), the coverage call's degraded answer, and loading zones from GeoJSON (HV-4)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from clinic_common.clock import FixedClock
from clinic_testkit.stack import eventually

from home_visits.deterioration.sweep import tick as sweep_tick

pytestmark = pytest.mark.integration

HOME = {
    "text": "Arbat 10",
    "lat": 55.7500,
    "lon": 37.5900,
    "window": {"start": "09:00:00", "end": "12:00:00"},
}
DACHA = {"text": "Khimki", "lat": 55.8970, "lon": 37.4297, "window": {"start": "14:00:00", "end": "18:00:00"}}


def addresses_url(hv: Any) -> str:
    return f"/v1/enrollments/{hv.ids.enrollment_urgent}/addresses"


def changes_url(hv: Any) -> str:
    return f"/v1/enrollments/{hv.ids.enrollment_urgent}/address-changes"


async def agree(hv: Any, *addresses: dict[str, Any]) -> list[dict[str, Any]]:
    r = await hv.client.put(
        addresses_url(hv), json={"addresses": list(addresses)}, headers=hv.headers("registrar")
    )
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_HV_8_contract_addresses_recorded_once_at_most_two(hv: Any) -> None:
    three = await hv.client.put(
        addresses_url(hv), json={"addresses": [HOME, HOME, DACHA]}, headers=hv.headers("registrar")
    )
    assert (three.status_code, three.json()["code"]) == (422, "address_change_not_allowed")
    [home] = await agree(hv, HOME)
    assert home["band_upper_km"] is None and home["valid_from"] == "2026-01-01"
    again = await hv.client.put(
        addresses_url(hv), json={"addresses": [DACHA]}, headers=hv.headers("registrar")
    )
    assert (again.status_code, again.json()["code"]) == (409, "addresses_already_agreed")
    empty = await hv.client.put(
        addresses_url(hv),
        json={"addresses": [{**HOME, "window": {"start": "12:00:00", "end": "09:00:00"}}]},
        headers=hv.headers("registrar"),
    )
    assert empty.status_code in (409, 422)


async def test_HV_8_BIL_16_adding_an_address_in_another_band_is_a_supplementary_agreement(hv: Any) -> None:
    await agree(hv, HOME)
    body = {
        "action": "add",
        "effective_on": "2026-12-02",
        "address": DACHA,
    }  # filed Wed 11-25: 5 working days
    r = await hv.client.post(
        changes_url(hv), json=body, headers=hv.headers("patient", patient_id=str(hv.ids.patient_urgent))
    )
    assert r.status_code == 201, r.text
    agreement = r.json()
    assert agreement["number"].startswith("SA-") and agreement["filed_on"] == "2026-11-25"
    assert (agreement["old_band_km"], agreement["new_band_km"], agreement["new_surcharge_percent"]) == (
        None,
        15.0,
        15,
    )
    assert agreement["band_changed"] is True and len(agreement["addresses"]) == 2
    [event] = await hv.events("address_change.accepted")
    assert (event["old_band_km"], event["new_band_km"], event["band_changed"]) == (None, 15.0, True)
    assert event["effective_on"] == "2026-12-02" and event["agreement_id"] == agreement["id"]
    second = await hv.client.post(
        changes_url(hv), json={**body, "effective_on": "2026-12-10"}, headers=hv.headers("registrar")
    )
    assert (second.status_code, second.json()["code"], second.json()["reason"]) == (
        422,
        "address_change_not_allowed",
        "already_changed",
    )


async def test_HV_8_notice_of_5_working_days(hv: Any) -> None:
    await agree(hv, HOME)
    r = await hv.client.post(
        changes_url(hv),
        json={"action": "add", "effective_on": "2026-12-01", "address": DACHA},
        headers=hv.headers("registrar"),
    )
    assert (r.status_code, r.json()["code"], r.json()["reason"], r.json()["rule"]) == (
        422,
        "address_change_not_allowed",
        "notice_too_short",
        "HV-8",
    )


async def test_HV_8_two_applications_at_once_one_is_accepted(hv: Any) -> None:
    [home] = await agree(hv, HOME)
    bodies = [
        {"action": "add", "effective_on": "2026-12-03", "address": DACHA},
        {
            "action": "change_interval",
            "effective_on": "2026-12-03",
            "address_id": home["id"],
            "window": {"start": "15:00:00", "end": "17:00:00"},
        },
    ]
    results = await asyncio.gather(
        *(hv.client.post(changes_url(hv), json=b, headers=hv.headers("registrar")) for b in bodies)
    )
    assert sorted(r.status_code for r in results) == [201, 422]
    assert len(await hv.events("address_change.accepted")) == 1


async def test_HV_3_HV_8_visit_at_a_program_address_gets_its_interval_and_agreed_band(hv: Any) -> None:
    await agree(hv, HOME)
    r = await hv.request(hv.body(lat=HOME["lat"] + 0.0003, lon=HOME["lon"]))  # about 33 m away
    assert r.status_code == 201
    assert r.json()["window"] == {"start": "09:00:00", "end": "12:00:00"}


async def test_HV_8_unknown_and_foreign_enrolments(hv: Any) -> None:
    r = await hv.client.get(
        "/v1/enrollments/0b000000-0000-4000-8000-00000000dead/addresses", headers=hv.headers("registrar")
    )
    assert (r.status_code, r.json()["code"]) == (422, "enrollment_unknown")
    other = await hv.client.get(
        addresses_url(hv), headers=hv.headers("patient", patient_id=str(hv.ids.patient_planned))
    )
    assert (other.status_code, other.json()["code"]) == (404, "enrollment_not_found")


# --- HV-10 ---------------------------------------------------------------------------------------


async def test_HV_10_routed_to_the_doctor_of_the_latest_visit_who_acknowledges(hv: Any) -> None:
    visit = (await hv.request(hv.body())).json()
    await hv.client.post(
        f"/v1/home-visits/{visit['id']}/assign",
        json={"practitioner_id": str(hv.ids.doctor_2)},
        headers=hv.headers("dispatcher"),
    )
    filed = await hv.report()
    assert (filed["status"], filed["practitioner_id"]) == ("open", str(hv.ids.doctor_2))
    assert filed["acknowledge_by"] == "2026-11-25T09:30:00Z"  # the policy's 30 minutes
    mine = await hv.client.get(
        "/v1/deterioration-reports",
        params={"organization_id": str(hv.ids.org)},
        headers=hv.doctor(hv.ids.doctor_2),
    )
    assert [r["id"] for r in mine.json()["items"]] == [filed["id"]]
    theirs = await hv.client.get(
        "/v1/deterioration-reports",
        params={"organization_id": str(hv.ids.org)},
        headers=hv.doctor(hv.ids.doctor_1),
    )
    assert theirs.json()["items"] == []
    wrong = await hv.client.post(
        f"/v1/deterioration-reports/{filed['id']}/acknowledge", headers=hv.doctor(hv.ids.doctor_1)
    )
    assert wrong.status_code == 404
    ack = await hv.client.post(
        f"/v1/deterioration-reports/{filed['id']}/acknowledge", headers=hv.doctor(hv.ids.doctor_2)
    )
    assert ack.json()["acknowledged_by"] == "attending_doctor"
    twice = await hv.client.post(
        f"/v1/deterioration-reports/{filed['id']}/acknowledge", headers=hv.doctor(hv.ids.doctor_2)
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "report_already_acknowledged")


async def test_HV_10_without_an_attending_doctor_it_goes_to_the_call_centre_at_once(hv: Any) -> None:
    filed = await hv.report()
    assert (filed["status"], filed["escalation_reason"]) == ("escalated", "no_attending_doctor")
    escalated = await hv.events("deterioration_report.escalated")
    assert escalated[0]["report_id"] == filed["id"]


async def test_HV_10_sweep_escalates_what_was_not_acknowledged_in_time(hv: Any) -> None:
    filed = await hv.report(practitioner_id=str(hv.ids.clinic_doctor))
    hv.clock.advance(timedelta(minutes=29))
    assert await sweep_tick(hv.svc.app) == 0
    hv.clock.advance(timedelta(minutes=1))
    assert await sweep_tick(hv.svc.app) == 1
    assert await sweep_tick(hv.svc.app) == 0  # escalated once
    r = await hv.client.get(
        "/v1/deterioration-reports",
        params={"organization_id": str(hv.ids.org), "status": "escalated"},
        headers=hv.headers("call_center"),
    )
    assert [x["id"] for x in r.json()["items"]] == [filed["id"]]
    ack = await hv.client.post(
        f"/v1/deterioration-reports/{filed['id']}/acknowledge", headers=hv.headers("call_center")
    )
    assert ack.json()["acknowledged_by"] == "call_center"


async def test_HV_10_the_sweep_runs_by_itself_in_the_service(stack: Any, hv: Any) -> None:
    clock = FixedClock(hv.now)
    svc = await stack.start("home-visits", clock=clock, run_workers=True, deterioration_sweep_seconds=0.1)
    # A second replica on the same database, with its workers: its sweep escalates, once.
    assert "home_visits-deterioration-sweep" in {t.get_name() for t in svc.state.workers.tasks}
    filed = await hv.report(practitioner_id=str(hv.ids.clinic_doctor))
    clock.advance(timedelta(minutes=31))
    hv.clock.advance(timedelta(minutes=31))

    async def escalated() -> bool:
        r = await hv.client.get(
            "/v1/deterioration-reports",
            params={"organization_id": str(hv.ids.org), "status": "escalated"},
            headers=hv.headers("call_center"),
        )
        return [x["id"] for x in r.json()["items"]] == [filed["id"]]

    await eventually(escalated, timeout=10)
    assert len(await hv.events("deterioration_report.escalated")) == 1


# --- coverage: the synchronous call to billing, degraded ------------------------------------------


async def test_coverage_degraded_answer_when_billing_is_unreachable(stack: Any, hv: Any) -> None:
    hv.svc.state.billing_coverage.base_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    r = await hv.request(hv.body())
    assert r.status_code == 201
    coverage = r.json()["coverage"]
    assert coverage["billing"]["reachable"] is False and "did not answer" in coverage["billing"]["detail"]
    assert coverage["source"] == "home_visits" and coverage["covered"] is True


# --- HV-4: zones from GeoJSON by the CLI -----------------------------------------------------------


def test_HV_4_load_zones_cli_replaces_the_organizations_zones(tmp_path: Path, database_factory: Any) -> None:
    url = database_factory("home-visits")
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "north",
                "properties": {
                    "kind": "branch",
                    "name": "North",
                    "order": 1,
                    "branch_id": "0b000000-0000-4000-8000-0000000000b1",
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[37.5, 55.7], [37.7, 55.7], [37.7, 55.9], [37.5, 55.9], [37.5, 55.7]]],
                },
            }
        ],
    }
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(doc))
    env = {**os.environ, "HOME_VISITS_DATABASE_URL": url}
    args = [
        sys.executable,
        "-m",
        "home_visits.cli",
        "load-zones",
        str(path),
        "--organization",
        "0b000000-0000-4000-8000-000000000001",
        "--bands",
        "15:15,30:30",
    ]
    first = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert "1 zone.upserted" in first.stdout
    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "0 zone.upserted" in second.stdout  # loading the same file again changes nothing
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": "x",
                        "properties": {"kind": "branch"},
                        "geometry": {"type": "Point", "coordinates": [37.5, 55.7]},
                    }
                ],
            }
        )
    )
    refused = subprocess.run(
        [*args[:4], str(bad), *args[5:]], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert refused.returncode != 0 and "Polygon" in refused.stderr
