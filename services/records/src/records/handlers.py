"""Every event records consumes, with the handlers of each module that react to it, in order.

One event is handled in one transaction (the consumer's); the modules' reactions run in the order
listed here, so the appointment projection is current before reminders are planned from it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from clinic_common.events.consumer import Handler, HandlerContext

from records.card.handlers import HANDLERS as CARD
from records.care.handlers import HANDLERS as CARE
from records.conduct.handlers import HANDLERS as CONDUCT
from records.notification.handlers import HANDLERS as NOTIFICATION
from records.offer.handlers import HANDLERS as OFFER
from records.organization.handlers import HANDLERS as ORGANIZATION


def compose(*tables: Mapping[str, Sequence[Handler]]) -> dict[str, Handler]:
    merged: dict[str, list[Handler]] = defaultdict(list)
    for table in tables:
        for event_type, handlers in table.items():
            merged[event_type].extend(handlers)

    def chain(handlers: list[Handler]) -> Handler:
        async def handle(ctx: HandlerContext) -> None:
            for handler in handlers:
                await handler(ctx)

        return handle

    return {event_type: chain(handlers) for event_type, handlers in merged.items()}


HANDLERS = compose({t: [h] for t, h in ORGANIZATION.items()}, CARE, OFFER, CARD, CONDUCT, NOTIFICATION)
