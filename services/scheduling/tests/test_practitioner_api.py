"""Practitioner and shift reads against a real database with the demo seed (SCH-1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from clinic_common.demo import (
    ALMATY_BRANCH_ABAY_ID,
    ALMATY_BRANCH_DOSTYK_ID,
    MOSCOW_BRANCH_ARBAT_ID,
    ORG_ALMATY_ID,
    ORG_MOSCOW_ID,
    practitioner_id,
)

pytestmark = pytest.mark.integration

CARDIOLOGIST = practitioner_id(ORG_ALMATY_ID, 1, 3)  # Dostyk, and Abay on Saturdays

Token = Callable[..., str]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def items(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/v1/practitioners", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_SCH_1_practitioners_are_public_with_qualification(client: httpx.AsyncClient) -> None:
    everyone = await items(client, limit=200)
    assert len(everyone) == 20
    p = next(x for x in everyone if x["id"] == str(CARDIOLOGIST))
    assert {
        "id",
        "organization_id",
        "branch_ids",
        "full_name",
        "specialty",
        "qualification",
        "experience_years",
    } <= p.keys()
    assert p["specialty"] == "cardiologist"
    assert set(p["branch_ids"]) == {str(ALMATY_BRANCH_DOSTYK_ID), str(ALMATY_BRANCH_ABAY_ID)}
    assert p["certificates"] and p["certificates"][0]["title"]
    assert set(p["visit_durations"]) == {
        "first_consultation",
        "repeat_consultation",
        "first_examination",
        "repeat_examination",
    }


async def test_SCH_1_filter_by_branch_and_specialty(client: httpx.AsyncClient) -> None:
    arbat = await items(client, branch_id=str(MOSCOW_BRANCH_ARBAT_ID))
    assert len(arbat) == 6 and sum(p["home_care"] for p in arbat) == 2
    assert {p["organization_id"] for p in arbat} == {str(ORG_MOSCOW_ID)}
    abay = await items(client, branch_id=str(ALMATY_BRANCH_ABAY_ID))
    assert str(CARDIOLOGIST) in {p["id"] for p in abay} and len(abay) == 5
    cardiologists = await items(client, specialty="Cardiologist")
    assert {p["id"] for p in cardiologists} == {str(CARDIOLOGIST), str(practitioner_id(ORG_MOSCOW_ID, 1, 2))}
    assert await items(client, branch_id=str(MOSCOW_BRANCH_ARBAT_ID), specialty="pediatrician") == [
        p for p in arbat if p["specialty"] == "pediatrician"
    ]
    home = await items(client, organization_id=str(ORG_MOSCOW_ID), home_care="true")
    assert len(home) == 4


async def test_SCH_1_practitioners_page_with_a_cursor(client: httpx.AsyncClient) -> None:
    r = (await client.get("/v1/practitioners", params={"limit": 15})).json()
    assert len(r["items"]) == 15 and r["next_cursor"]
    rest = (await client.get("/v1/practitioners", params={"limit": 15, "cursor": r["next_cursor"]})).json()
    assert len(rest["items"]) == 5 and rest["next_cursor"] is None


async def test_SCH_1_one_practitioner_public_unknown_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/v1/practitioners/{CARDIOLOGIST}")
    assert r.status_code == 200 and r.json()["full_name"] == "Saule Kairatovna Zhunusova"
    r = await client.get("/v1/practitioners/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and r.json()["code"] == "practitioner_not_found"


async def test_SCH_1_shifts_are_for_staff_of_the_organization(
    client: httpx.AsyncClient, token_factory: Token
) -> None:
    path = f"/v1/practitioners/{CARDIOLOGIST}/shifts"
    assert (await client.get(path)).status_code == 401
    patient = token_factory("patient", org=str(ORG_ALMATY_ID), patient_id=str(ORG_ALMATY_ID))
    assert (await client.get(path, headers=auth(patient))).status_code == 403
    other_org = token_factory("registrar", org=str(ORG_MOSCOW_ID))
    r = await client.get(path, headers=auth(other_org))
    assert r.status_code == 404 and r.json()["code"] == "practitioner_not_found"

    r = await client.get(path, headers=auth(token_factory("registrar", org=str(ORG_ALMATY_ID))))
    assert r.status_code == 200, r.text
    shifts = r.json()["items"]
    assert {(s["weekday"], s["branch_id"]) for s in shifts} == {
        (1, str(ALMATY_BRANCH_DOSTYK_ID)),
        (3, str(ALMATY_BRANCH_DOSTYK_ID)),
        (4, str(ALMATY_BRANCH_DOSTYK_ID)),
        (6, str(ALMATY_BRANCH_DOSTYK_ID)),
        (5, str(ALMATY_BRANCH_ABAY_ID)),
    }
    assert {s["time_zone"] for s in shifts} == {"Asia/Almaty"}
    saturday = next(s for s in shifts if s["weekday"] == 5)
    assert (saturday["starts"], saturday["ends"], saturday["valid_to"]) == ("09:00:00", "15:00:00", None)

    abay_only = token_factory("registrar", org=str(ORG_ALMATY_ID), branch_ids=[str(ALMATY_BRANCH_ABAY_ID)])
    r = await client.get(path, headers=auth(abay_only))
    assert [s["weekday"] for s in r.json()["items"]] == [5]

    admin = token_factory("admin", org=None)
    assert (
        len((await client.get(path, params={"valid_on": "2026-11-22"}, headers=auth(admin))).json()["items"])
        == 5
    )
    assert (await client.get(path, params={"valid_on": "2019-06-01"}, headers=auth(admin))).json()[
        "items"
    ] == []
