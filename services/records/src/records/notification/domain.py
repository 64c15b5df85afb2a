"""Which reminders a visit gets, and through which channels a message goes (REC-17, REC-18)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PATIENT_CHANNELS = ("cabinet", "sms", "whatsapp")  # never e-mail for medical content (REC-17)


def reminder_due_times(
    start: datetime, lead_minutes: Sequence[int], now: datetime
) -> list[tuple[int, datetime]]:
    """The policy's lead times before the booked start, leaving out those already past: a visit
    booked 3 hours ahead gets its 2-hour reminder only."""
    out = []
    for lead in sorted(set(lead_minutes), reverse=True):
        due = start - timedelta(minutes=lead)
        if due > now:
            out.append((lead, due))
    return out


@dataclass(frozen=True)
class Route:
    channel: str
    recipient: str | None
    full_content: bool  # False: a neutral text that names no medical information


def routes(
    *,
    preferences: Sequence[str],
    medical: bool,
    cabinet_open: bool,
    org_channels: Sequence[str],
    phone: str | None,
    registration_phone: str | None,
) -> list[Route]:
    """The channels of one message.

    - The cabinet inbox always holds it; it is delivered there only while the cabinet is open.
    - WhatsApp at the patient's request, where the organization uses it, only to the number
      given at registration (REC-17, O 7.9); it may carry medical information.
    - SMS as the patient chose, with a neutral text when the message is medical (SMS is not one
      of REC-17's channels for medical information).
    - A medical message the cabinet cannot show (not opened, or restricted by the organization)
      goes out by another channel even if the patient chose none (REC-18).
    """
    out = [Route("cabinet", None, True)]
    whatsapp = "whatsapp" in preferences and "whatsapp" in org_channels and registration_phone is not None
    if whatsapp:
        out.append(Route("whatsapp", registration_phone, True))
    sms_wanted = "sms" in preferences or (medical and not cabinet_open and not whatsapp)
    if sms_wanted and phone is not None:
        out.append(Route("sms", phone, not medical))
    return out
