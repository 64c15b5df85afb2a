"""Debt rules as plain Python (BIL-4, BIL-10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from clinic_common.money import Money


def is_overdue(due_at: datetime | None, now: datetime, balance_due: Money, rendered: bool) -> bool:
    """BIL-10: a debt is for rendered services left unpaid past their term (BIL-4: 30 minutes for
    services added during the visit; the day of the service otherwise)."""
    return rendered and due_at is not None and now > due_at and balance_due.is_positive()


def penalty(
    amount: Money, due_at: datetime, now: datetime, percent_on: Callable[[datetime], Decimal | None]
) -> Money:
    """BIL-10 (policy; O 8.13): each full day overdue adds `percent_on(its start)` percent of the
    debt, never more than the debt itself; a day whose policy sets no penalty adds none. ORG-3: the
    caller answers with the policy version in force on the local date the day overdue began."""
    if now <= due_at:
        return Money.zero(amount.currency)
    total = Decimal(0)
    for day in range((now - due_at).days):
        percent = percent_on(due_at + timedelta(days=day))
        if percent is not None and percent > 0:
            total += percent
    if total <= 0:
        return Money.zero(amount.currency)
    return min(amount.percent(total), amount)
