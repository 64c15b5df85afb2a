import pytest, httpx
from clinic_testkit.stack import Stack

@pytest.mark.parametrize("body", [
    {"now": "9999-12-31T23:59:59Z"}, {"now": "0001-01-01T00:00:00Z"}, {"now": "0001-01-01T00:00:00+14:00"},
    {"advance_seconds": 1e300}, {"advance_seconds": "NaN"}, {"advance_seconds": "Infinity"},
])
async def test_probe(stack: Stack, body):
    svc = await stack.start("records", run_workers=False)
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=svc.app, raise_app_exceptions=False), base_url="http://r")
    r = await c.put("/_dev/clock", json=body)
    print("PUT", body, r.status_code, r.text[:200])
    import asyncio; await asyncio.sleep(1.1)
    r2 = await c.get("/_dev/clock")
    r3 = await c.get("/healthz")
    print("GET after", r2.status_code, r2.text[:200], r3.status_code)
