"""While its database is down, a service answers 503 problem+json with `Retry-After`, on a connection
the client may keep using; when the database is back, so is the service (issue 5, point 9).

A real records process (uvicorn, as `make run` starts it) runs against a PostgreSQL of this test
alone, which the test really stops and starts again. One kept-alive HTTP client sends every request,
and the local address of each response's connection shows it was never dropped.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from clinic_common.demo import ORG_ALMATY_ID
from clinic_testkit.databases import TemplateCache
from clinic_testkit.stack import auth, eventually

pytestmark = pytest.mark.integration


PATIENT = {
    "organization_id": str(ORG_ALMATY_ID),
    "last_name": "Абаева",
    "first_name": "Дана",
    "birth_date": "1990-05-17",
    "identity_document": {"kind": "id_card", "number": "045123456"},
    "address": {"text": "Алматы, пр. Достык 10"},
    "phone": "+7 701 123 45 67",
    "personal_data_consent": True,
}


def local_address(response: httpx.Response) -> Any:
    return response.extensions["network_stream"].get_extra_info("socket").getsockname()


def assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "service_unavailable"
    assert int(r.headers["retry-after"]) > 0
    assert r.headers.get("connection", "").lower() != "close"


async def test_database_down_is_503_with_retry_after_on_a_kept_connection(
    pg_factory: Any, service_processes: Any, token_factory: Any, pytestconfig: pytest.Config
) -> None:
    pg = pg_factory()
    template = TemplateCache(pg, Path(pytestconfig.rootpath)).migrated_template("records")
    pg.create_database("records", template=template)
    records = service_processes.service(
        "records", database_url=pg.url("records"), nats_url="nats://127.0.0.1:1", run_workers=False
    )
    await service_processes.start(records)
    registrar = auth(token_factory("registrar", org=str(ORG_ALMATY_ID)))
    patient = f"/v1/patients/{uuid.uuid4()}"
    new_patient = {**registrar, "Idempotency-Key": "outage-1"}

    async with httpx.AsyncClient(base_url=records.url, headers=registrar, timeout=30) as client:
        before = await client.get(patient)
        assert (before.status_code, before.json()["code"]) == (404, "patient_not_found")

        pg.stop()
        assert not pg.is_running()
        answers = [
            await client.get(patient),
            await client.post("/v1/patients", json=PATIENT, headers=new_patient),
            await client.get(patient),
        ]
        for r in answers:
            assert_unavailable(r)
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        answers.append(ready)
        assert {local_address(r) for r in [before, *answers]} == {local_address(before)}, (
            "the server dropped the kept-alive connection after an error"
        )

        pg.start()
        started = time.monotonic()

        async def recovered() -> bool:
            return (await client.get(patient)).status_code == 404

        await eventually(recovered, timeout=30)
        assert time.monotonic() - started < 30
