"""The `FiscalRegister` port and the delivery provider that drives it (architecture.md § Fiscal receipts).

A register takes one document and answers with its fiscal attributes. It must be safe to call
again with the same key: the delivery worker resends after a crash, and the register (a cloud
cash register keyed by `external_id`) answers the repeat with the first registration. Transient
trouble raises `DeliveryUnavailable` (retried), a refusal `DeliveryRejected` (failed, never retried).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from clinic_common.clock import Clock
from clinic_common.deliveries import OutgoingMessage, ProviderReceipt

FISCAL_CHANNEL = "fiscal"
FISCAL_REF = "fiscal_document"


@dataclass(frozen=True)
class Registration:
    fiscal_number: str
    fiscal_sign: str
    registered_at: datetime
    extra: Mapping[str, Any] = field(default_factory=dict)


class FiscalRegister(Protocol):
    @property
    def name(self) -> str: ...

    async def register(self, document: Mapping[str, Any], key: str) -> Registration: ...

    async def aclose(self) -> None: ...


class RecordingRegister:
    """The default register: records the document without sending it (development, tests). Its
    attributes are derived from the key, so a repeat answers the same registration."""

    name = "recording"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def register(self, document: Mapping[str, Any], key: str) -> Registration:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return Registration(
            fiscal_number=f"REC-{digest[:10].upper()}",
            fiscal_sign=str(int(digest[10:18], 16)),
            registered_at=self.clock.now(),
            extra={"recorded": True, "document": dict(document)},
        )

    async def aclose(self) -> None:
        return None


class FiscalProvider:
    """The `fiscal` channel's delivery provider: hands each document to the register of its
    organization's country (RU, KZ), or the default one."""

    def __init__(self, registers: Mapping[str, FiscalRegister], default: FiscalRegister) -> None:
        self.registers = dict(registers)
        self.default = default
        self.name = (
            "fiscal:" + ",".join(f"{country}={r.name}" for country, r in sorted(self.registers.items()))
            if self.registers
            else f"fiscal:{default.name}"
        )

    def register_for(self, country: str) -> FiscalRegister:
        return self.registers.get(country, self.default)

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        register = self.register_for(str(message.payload.get("country", "")))
        reg = await register.register(message.payload, message.idempotency_key)
        return ProviderReceipt(
            reference=reg.fiscal_number,
            response={
                "register": register.name,
                "fiscal_number": reg.fiscal_number,
                "fiscal_sign": reg.fiscal_sign,
                "registered_at": reg.registered_at.isoformat(),
                **{k: v for k, v in reg.extra.items() if k != "document"},
            },
        )

    async def aclose(self) -> None:
        for register in {id(r): r for r in [*self.registers.values(), self.default]}.values():
            await register.aclose()
