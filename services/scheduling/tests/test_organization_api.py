"""GET /v1/organizations against a real database with the demo seed (ORG-1, ORG-2, ORG-3)."""

from __future__ import annotations

import httpx
import pytest

from clinic_common.demo import MOSCOW_BRANCH_ARBAT_ID, ORG_ALMATY_ID, ORG_MOSCOW_ID

pytestmark = pytest.mark.integration


async def test_ORG_1_organizations_are_public_with_branches_and_zones(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/organizations")
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["next_cursor"] is None
    orgs = {o["id"]: o for o in page["items"]}
    almaty, moscow = orgs[str(ORG_ALMATY_ID)], orgs[str(ORG_MOSCOW_ID)]
    assert (almaty["country"], almaty["currency"], almaty["time_zone"]) == ("KZ", "KZT", "Asia/Almaty")
    assert (moscow["country"], moscow["currency"], moscow["time_zone"]) == ("RU", "RUB", "Europe/Moscow")
    assert [b["name"] for b in almaty["branches"]] == ["Dostyk", "Abay"]
    for org in (almaty, moscow):
        for b in org["branches"]:
            assert {"id", "name", "address", "time_zone", "opening_hours"} <= b.keys()
            assert b["time_zone"] == org["time_zone"]


async def test_ORG_2_moscow_branch_hours_are_P_11_1_and_phone_hours_P_11_2(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/v1/organizations/{ORG_MOSCOW_ID}")
    assert r.status_code == 200, r.text
    arbat = next(b for b in r.json()["branches"] if b["id"] == str(MOSCOW_BRANCH_ARBAT_ID))
    hours = {(i["weekday"], i["opens"], i["closes"]) for i in arbat["opening_hours"]}
    assert hours == {
        *((d, "08:00:00", "21:00:00") for d in range(5)),
        (5, "08:30:00", "21:00:00"),
        (6, "09:00:00", "18:00:00"),
    }
    assert {(i["opens"], i["closes"]) for i in arbat["phone_booking_hours"]} == {("07:30:00", "22:00:00")}
    assert len(arbat["phone_booking_hours"]) == 7
    assert arbat["electronic_queue"] is True


async def test_ORG_3_policy_summary_is_the_version_in_force(client: httpx.AsyncClient) -> None:
    orgs = {o["id"]: o for o in (await client.get("/v1/organizations")).json()["items"]}
    almaty, moscow = orgs[str(ORG_ALMATY_ID)]["policy"], orgs[str(ORG_MOSCOW_ID)]["policy"]
    assert (almaty["preset"], almaty["effective_from"], almaty["next_change"]) == ("O", "2020-01-01", None)
    assert (almaty["visit_minutes_min"], almaty["visit_minutes_max"]) == (15, 40)  # SCH-2
    assert (almaty["arrive_early_minutes"], moscow["arrive_early_minutes"]) == (10, 15)  # SCH-6
    assert almaty["home_visit_cutoff_working_day"] is None  # no home care under the O preset
    assert (moscow["home_visit_cutoff_working_day"], moscow["home_visit_cutoff_day_off"]) == (
        "13:00:00",
        "12:00:00",
    )  # HV-3


async def test_ORG_1_organizations_page_with_a_cursor(client: httpx.AsyncClient) -> None:
    first = (await client.get("/v1/organizations", params={"limit": 1})).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = (
        await client.get("/v1/organizations", params={"limit": 1, "cursor": first["next_cursor"]})
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert first["items"][0]["id"] != second["items"][0]["id"]


async def test_ORG_1_unknown_organization_is_404_and_bad_ids_422(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/organizations/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "organization_not_found"
    r = await client.get("/v1/organizations", params={"cursor": "not-a-uuid", "limit": 1000})
    assert r.status_code == 422
    assert r.json()["code"] == "validation_failed"
