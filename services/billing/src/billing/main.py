"""create_app() of the billing service."""

from __future__ import annotations

from fastapi import FastAPI

from clinic_common.app import ServiceSpec, create_service_app
from clinic_common.clock import Clock, clock_from_settings

from billing.config import Settings, get_settings
from billing.db import platform
from billing.debt.router import router as damage_router
from billing.discount.router import router as discount_router
from billing.fiscal import service as fiscal
from billing.fiscal.ports import FISCAL_CHANNEL, FISCAL_REF, FiscalProvider, FiscalRegister, RecordingRegister
from billing.fiscal.router import router as fiscal_router
from billing.invoice.handlers import HANDLERS as INVOICE_HANDLERS
from billing.invoice.router import router as invoice_router
from billing.ledger.router import router as ledger_router
from billing.openapi import require_idempotency_keys
from billing.organization.handlers import HANDLERS as ORGANIZATION_HANDLERS
from billing.partner.router import router as partner_router
from billing.patient.handlers import HANDLERS as PATIENT_HANDLERS
from billing.patient.router import router as balance_router
from billing.payment.router import router as payment_router
from billing.pricelist.router import router as price_list_router
from billing.program.handlers import HANDLERS as PROGRAM_HANDLERS
from billing.program.router import router as program_router
from billing.refund.handlers import HANDLERS as REFUND_HANDLERS
from billing.refund.router import router as refund_router
from billing.sweep import SWEEP


def fiscal_provider(settings: Settings, clock: Clock) -> FiscalProvider:
    """The `fiscal` channel: the register of each organization's country (recording by default)."""
    default = RecordingRegister(clock)
    registers: dict[str, FiscalRegister] = {}
    if settings.fiscal_register_ru == "atol":
        from billing.fiscal.atol import AtolOnline

        registers["RU"] = AtolOnline.from_settings(settings, clock)
    return FiscalProvider(registers, default)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    clock = clock or clock_from_settings(settings.clock_file, settings.clock_start)
    provider = fiscal_provider(settings, clock)
    app = create_service_app(
        ServiceSpec(
            name="billing",
            title="Clinic billing",
            description=(
                "Price lists, invoices, payments, refunds, the ledger, programs, the partner-insurer API."
            ),
            settings=settings,
            platform=platform,
            routers=[
                price_list_router,
                invoice_router,
                payment_router,
                refund_router,
                balance_router,
                discount_router,
                program_router,
                ledger_router,
                fiscal_router,
                partner_router,
                damage_router,
            ],
            handlers={
                **ORGANIZATION_HANDLERS,
                **PATIENT_HANDLERS,
                **INVOICE_HANDLERS,
                **REFUND_HANDLERS,
                **PROGRAM_HANDLERS,
            },
            delivery_providers={FISCAL_CHANNEL: provider},
            delivery_outcomes={FISCAL_REF: fiscal.on_outcome},
            periodic=[SWEEP],
        ),
        clock=clock,
    )
    require_idempotency_keys(app)
    return app
