"""The coverage decision shown with a new home visit, asked of billing (architecture.md § Who owns
what: the one synchronous call, with a timeout and a clear degraded answer; listed in the README).

`GET {billing}/v1/enrollments/{id}/coverage?service_code=&date=` with the caller's own bearer token
(billing applies its own access policy to it). Any failure (billing down, slow, refusing, or
answering something else) is a degraded answer, `reachable: false`, never an error of ours.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from uuid import UUID

import httpx

from home_visits.visit.schemas import BillingAnswer, ReasonRead

log = logging.getLogger(__name__)


class BillingCoverage:
    def __init__(
        self, base_url: str | None, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout = timeout
        self.transport = transport  # tests hand in billing's ASGI app

    async def ask(
        self, authorization: str | None, enrollment_id: UUID, service_code: str, day: date
    ) -> BillingAnswer:
        if not self.base_url:
            return BillingAnswer(reachable=False, detail="billing is not configured")
        headers = {"Authorization": authorization} if authorization else {}
        try:
            async with httpx.AsyncClient(
                base_url=self.base_url, timeout=self.timeout, transport=self.transport
            ) as client:
                response = await client.get(
                    f"/v1/enrollments/{enrollment_id}/coverage",
                    params={"service_code": service_code, "date": day.isoformat()},
                    headers=headers,
                )
        except httpx.HTTPError as exc:
            log.warning("billing coverage call failed: %r", exc)
            return BillingAnswer(reachable=False, detail=f"billing did not answer: {type(exc).__name__}")
        if response.status_code != 200:
            return BillingAnswer(reachable=False, detail=f"billing answered {response.status_code}")
        try:
            body: Any = response.json()
            reasons = [
                ReasonRead(rule=str(r["rule"]), detail=str(r["detail"])) for r in body.get("reasons", [])
            ]
            covered = body["covered"]
            if not isinstance(covered, bool):
                raise TypeError("covered is not a boolean")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return BillingAnswer(reachable=False, detail=f"billing's answer was not understood: {exc}")
        return BillingAnswer(reachable=True, covered=covered, reasons=reasons)
