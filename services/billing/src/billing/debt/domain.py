"""Debt rules as plain Python (BIL-4, BIL-10)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from clinic_common.money import Money


def is_overdue(due_at: datetime | None, now: datetime, balance_due: Money, rendered: bool) -> bool:
    """BIL-10: a debt is for rendered services left unpaid past their term (BIL-4: 30 minutes for
    services added during the visit; the day of the service otherwise)."""
    return rendered and due_at is not None and now > due_at and balance_due.is_positive()


def penalty(amount: Money, percent_per_day: Decimal | None, due_at: datetime, now: datetime) -> Money:
    """BIL-10 (policy; O 8.13): a late-payment penalty of `percent_per_day` of the debt for each
    full day overdue, never more than the debt itself; none when the policy sets none."""
    if percent_per_day is None or percent_per_day <= 0 or now <= due_at:
        return Money.zero(amount.currency)
    days = (now - due_at).days
    return min(amount.percent(percent_per_day * days), amount)
