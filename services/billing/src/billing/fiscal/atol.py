"""ATOL Online (protocol v5, FFD 1.2): a cloud cash register for Russia behind `FiscalRegister`.

From the published API: `POST {base}/getToken` with `{login, pass}` gives a token; a receipt is
registered with `POST {base}/{group_code}/{operation}` (`sell`, `sell_refund`, `sell_correction`,
`sell_refund_correction`) and a `Token` header, body `{external_id, timestamp, receipt}`; the
answer has a `uuid` and `status` `wait`. `GET {base}/{group_code}/report/{uuid}` gives `status`
`done` with `payload` (`fiscal_document_number`, `fiscal_document_attribute`, `receipt_datetime`,
`fn_number`, ...) or `fail` with `error`. A repeated `external_id` is refused with the first
document's `uuid` (error code 10), so a resend after a crash registers nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from clinic_common.clock import Clock
from clinic_common.deliveries import DeliveryRejected, DeliveryUnavailable

from billing.fiscal.ports import Registration

OPERATIONS = {
    "sale": "sell",
    "sale_refund": "sell_refund",
    "sale_correction": "sell_correction",
    "sale_refund_correction": "sell_refund_correction",
}
PAYMENT_METHOD = {
    "full_prepayment": "full_prepayment",
    "advance": "advance",
    "full_settlement": "full_payment",
}
PAYMENT_OBJECT = {"service": 4, "payment": 10}  # FFD 1.2 tag 1212: service; advance/prepayment
PAYMENT_TYPE = {"cash": 0, "card": 1, "bank_transfer": 1, "advance_offset": 2}  # 2: prior advance offset
MEASURE = {"piece": 0}
DUPLICATE_EXTERNAL_ID = 10
AUTH_ERRORS = frozenset({11, 12, 13, 14})  # token missing, expired or wrong


def atol_receipt(document: Mapping[str, Any], company: Mapping[str, str]) -> dict[str, Any]:
    """Our RU document in ATOL v5's `receipt` shape (amounts as numbers of roubles)."""
    client = {
        k: v for k, v in (document.get("client") or {}).items() if v and k in ("phone", "email", "name")
    }
    receipt: dict[str, Any] = {
        "client": client or {"email": company.get("email", "")},
        "company": dict(company),
        "items": [
            {
                "name": p["name"],
                "price": float(p["price"]),
                "quantity": float(p["quantity"]),
                "measure": MEASURE.get(p["measure"], 0),
                "sum": float(p["amount"]),
                "payment_method": PAYMENT_METHOD[p["settlement_method"]],
                "payment_object": PAYMENT_OBJECT[p["item_type"]],
                "vat": {"type": p.get("vat", "none")},
            }
            for p in document["positions"]
        ],
        "payments": [
            {"type": PAYMENT_TYPE[x["type"]], "sum": float(x["amount"])} for x in document["payments"]
        ],
        "total": float(document["total"]),
    }
    correction = document.get("correction")
    if correction:
        receipt["correction_info"] = {
            "type": "self" if correction["basis"] == "self" else "instruction",
            "base_date": datetime.fromisoformat(correction["basis_date"]).strftime("%d.%m.%Y"),
            "base_number": correction.get("basis_number") or "",
        }
    return receipt


class AtolOnline:
    name = "atol-online-v5"

    def __init__(
        self,
        *,
        base_url: str,
        login: str,
        password: str,
        group_code: str,
        company: Mapping[str, str],
        clock: Clock,
        timeout: float = 10.0,
        report_polls: int = 5,
        report_interval: float = 0.5,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.login = login
        self.password = password
        self.group = group_code
        self.company = dict(company)
        self.clock = clock
        self.report_polls = report_polls
        self.report_interval = report_interval
        self.http = client or httpx.AsyncClient(timeout=timeout)
        self._token: str | None = None

    @classmethod
    def from_settings(cls, settings: Any, clock: Clock) -> AtolOnline:
        return cls(
            base_url=settings.atol_url,
            login=settings.atol_login,
            password=settings.atol_password,
            group_code=settings.atol_group_code,
            company={
                "email": settings.atol_company_email,
                "sno": settings.atol_sno,
                "inn": settings.atol_company_inn,
                "payment_address": settings.atol_payment_address,
            },
            clock=clock,
            timeout=settings.atol_timeout_seconds,
            report_polls=settings.atol_report_polls,
            report_interval=settings.atol_report_interval_seconds,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self._token:
            headers["Token"] = self._token
        try:
            r = await self.http.request(method, f"{self.base}/{path}", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryUnavailable(f"ATOL Online unreachable: {exc}") from exc
        if r.status_code >= 500 or r.status_code == 429:
            raise DeliveryUnavailable(f"ATOL Online HTTP {r.status_code}")
        try:
            data = r.json()
        except ValueError as exc:
            raise DeliveryUnavailable(f"ATOL Online answered HTTP {r.status_code} without JSON") from exc
        return data if isinstance(data, dict) else {"body": data}

    async def _authorize(self) -> None:
        data = await self._call("POST", "getToken", {"login": self.login, "pass": self.password})
        token = data.get("token")
        if not token:
            raise DeliveryRejected(f"ATOL Online refused the credentials: {data.get('error')}", response=data)
        self._token = str(token)

    async def register(self, document: Mapping[str, Any], key: str) -> Registration:
        if self._token is None:
            await self._authorize()
        operation = OPERATIONS[str(document.get("receipt_type", "sale"))]
        now = self.clock.now().astimezone(ZoneInfo("Europe/Moscow"))
        body = {
            "external_id": key,
            "timestamp": now.strftime("%d.%m.%Y %H:%M:%S"),
            "receipt": atol_receipt(document, self.company),
        }
        data = await self._call("POST", f"{self.group}/{operation}", body)
        error = data.get("error") or {}
        if error and int(error.get("code", 0)) in AUTH_ERRORS:
            await self._authorize()
            data = await self._call("POST", f"{self.group}/{operation}", body)
            error = data.get("error") or {}
        uuid = data.get("uuid")
        if error and int(error.get("code", 0)) != DUPLICATE_EXTERNAL_ID:
            raise DeliveryRejected(f"ATOL Online refused the receipt: {error}", response=data)
        if not uuid:
            raise DeliveryUnavailable(f"ATOL Online gave no uuid: {data}")
        for _ in range(self.report_polls):
            report = await self._call("GET", f"{self.group}/report/{uuid}")
            status = report.get("status")
            if status == "done" and report.get("payload"):
                p = report["payload"]
                return Registration(
                    fiscal_number=str(p["fiscal_document_number"]),
                    fiscal_sign=str(p["fiscal_document_attribute"]),
                    registered_at=_parse_time(str(p.get("receipt_datetime", "")), self.clock),
                    extra={
                        "uuid": uuid,
                        "fn_number": p.get("fn_number"),
                        "shift_number": p.get("shift_number"),
                        "fiscal_receipt_number": p.get("fiscal_receipt_number"),
                        "ecr_registration_number": p.get("ecr_registration_number"),
                    },
                )
            if status == "fail":
                raise DeliveryRejected(
                    f"ATOL Online failed the receipt: {report.get('error')}", response=report
                )
            await asyncio.sleep(self.report_interval)
        raise DeliveryUnavailable(f"ATOL Online has not registered {uuid} yet")


def _parse_time(value: str, clock: Clock) -> datetime:
    """`receipt_datetime` is `dd.mm.yyyy HH:MM:SS`, Moscow time; the clock's now if absent."""
    for fmt in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=ZoneInfo("Europe/Moscow"))
        except ValueError:
            continue
    return clock.now()
