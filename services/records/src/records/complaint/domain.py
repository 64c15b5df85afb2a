"""Complaint and feedback deadlines as plain rules (REC-20, REC-21, ORG-4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from clinic_common.calendar import Country, add_working_days
from clinic_common.errors import AppError

COMPLAINT_ANSWER_WORKING_DAYS = 20  # REC-20, O 11.3: 3 to 20, at the latest 20
FEEDBACK_ANSWER_WORKING_DAYS = 15  # REC-21, O "Обратная связь"
COMPLAINT_CHANNELS = ("post", "in_person", "oral")  # REC-20, O 11.3: as the patient chooses


class ComplaintNotFound(AppError):
    status = 404
    code = "complaint_not_found"
    title = "No such complaint"


class AlreadyDecided(AppError):
    status = 409
    code = "complaint_already_decided"
    title = "The complaint was already answered"
    rule = "REC-20"


class RefundNotAllowed(AppError):
    status = 422
    code = "refund_not_allowed"
    title = "Only an upheld complaint orders a refund, with the invoice it concerns"
    rule = "REC-20"


class AnswerChannelNotAllowed(AppError):
    status = 422
    code = "answer_channel_not_allowed"
    title = "A complaint is answered by post, in person or orally, as the patient chooses"
    rule = "REC-20"


def answer_due_on(kind: str, country: Country, filed_on: date) -> date | None:
    """REC-20/REC-21: complaints within 20 working days, feedback within 15, counted in the
    organization's working days (ORG-4, holidays included); medical incidents are registered and
    analysed (O 11.1) without an answer term."""
    if kind == "complaint":
        return add_working_days(country, filed_on, COMPLAINT_ANSWER_WORKING_DAYS)
    if kind == "feedback":
        return add_working_days(country, filed_on, FEEDBACK_ANSWER_WORKING_DAYS)
    return None


def is_overdue(due_on: date | None, decided: bool, today: date) -> bool:
    """REC-20: an open item past its due date is overdue (due today is still in time)."""
    return due_on is not None and not decided and today > due_on


def check_answer_channel(kind: str, channel: str) -> None:
    if kind == "complaint" and channel not in COMPLAINT_CHANNELS:
        raise AnswerChannelNotAllowed(channels=list(COMPLAINT_CHANNELS))


def check_refund(upheld: bool, amount: Decimal | None, invoice_given: bool) -> None:
    """REC-20 (O 11.5): an upheld complaint may order a refund of what was paid for the services
    concerned; billing pays it (BIL-9). A refund needs the invoice it concerns."""
    if amount is None:
        return
    if not upheld or not invoice_given or amount <= 0:
        raise RefundNotAllowed()
