"""Documents, channels and results as plain rules (REC-16, REC-17, REC-18)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from clinic_common.calendar import Country, add_working_days
from clinic_common.errors import AppError

RESULT_MAX_WORKING_DAYS = 15  # REC-18, O 3.7
DELAY_NOTICE_WORKING_DAYS = 1  # REC-18, O 5.2.4


class ResultTermExceeded(AppError):
    status = 422
    code = "result_term_exceeded"
    title = "A diagnostic result is promised within 15 working days of the order or sample"
    rule = "REC-18"


class EmailChannelForbidden(AppError):
    status = 422
    code = "email_channel_forbidden"
    title = "Medical information is never sent by e-mail"
    rule = "REC-17"


class ChannelNotOffered(AppError):
    status = 422
    code = "channel_not_offered"
    title = "The organization does not send medical information through this channel"
    rule = "REC-17"


class AuthorityNotShown(AppError):
    status = 403
    code = "authority_not_shown"
    title = "Medical documents are handed only against an identity document or a document of authority"
    rule = "REC-16"


class AlreadyHandedOver(AppError):
    status = 409
    code = "already_handed_over"
    title = "The document was already handed over"
    rule = "REC-16"


def check_channel(delivery: str, channels: Sequence[str]) -> None:
    """REC-17 (P 9.4): never e-mail; otherwise one of the organization's channels (in person, the
    cabinet, WhatsApp on request to the registered number, O 7.9)."""
    if delivery == "email":
        raise EmailChannelForbidden()
    if delivery != "in_person" and delivery not in channels:
        raise ChannelNotOffered(f"{delivery} is not one of {', '.join(channels)}", channels=list(channels))


def document_due_on(country: Country, requested_on: date, working_days: int) -> date:
    """REC-16 (P 9.5): prepared on a written application by a due date in working days (ORG-4)."""
    return add_working_days(country, requested_on, working_days)


@dataclass(frozen=True)
class Holder:
    """Who may take the document and the document they must show: the patient with their
    identity document, or a linked person with the document of authority of their link."""

    person_id: UUID
    document: tuple[str, str]
    allowed: bool


def check_hand_over(shown_by: UUID, shown: tuple[str, str], holders: Sequence[Holder]) -> None:
    """REC-16 (P 9.1, O 5.1.9): the document shown must be the one on record for that person."""
    normalized = (shown[0].strip().lower(), shown[1].replace(" ", "").upper())
    for h in holders:
        if h.person_id == shown_by and h.allowed:
            expected = (h.document[0].strip().lower(), h.document[1].replace(" ", "").upper())
            if expected == normalized:
                return
    raise AuthorityNotShown()


def result_due(country: Country, ordered_on: date) -> date:
    """REC-18 (O 3.7): diagnostic results may take up to 15 working days."""
    return add_working_days(country, ordered_on, RESULT_MAX_WORKING_DAYS)


def check_result_term(country: Country, ordered_on: date | None, promised_on: date | None) -> None:
    """REC-18 (O 3.7): a promise past the 15th working day after the order or sample is refused,
    and so is one before the order (a typing error that would read as a late result)."""
    if ordered_on is None or promised_on is None:
        return
    if promised_on < ordered_on:
        raise ResultTermExceeded(
            f"promised on {promised_on.isoformat()}, before the order on {ordered_on.isoformat()}",
            latest=result_due(country, ordered_on).isoformat(),
        )
    latest = result_due(country, ordered_on)
    if promised_on > latest:
        raise ResultTermExceeded(
            f"promised on {promised_on.isoformat()}, at the latest {latest.isoformat()}",
            latest=latest.isoformat(),
        )


def delay_announce_by(country: Country, known_on: date) -> date:
    """REC-18 (O 5.2.4): a late result is announced within one working day of knowing it."""
    return add_working_days(country, known_on, DELAY_NOTICE_WORKING_DAYS)
