"""Conduct rules as plain Python (REC-22)."""

from __future__ import annotations

from clinic_common.errors import AppError

FAILURES_TO_END_CONTRACT = 2  # REC-22, O 8.6: "two or more"


class TerminationNotAllowed(AppError):
    status = 409
    code = "termination_not_allowed"
    title = "The contract ends for non-compliance only after two recorded failures to follow medical advice"
    rule = "REC-22"


class RefusalEndangers(AppError):
    status = 422
    code = "service_refusal_forbidden"
    title = "Service is never refused where it threatens the patient's life or others' health"
    rule = "REC-22"


class AlreadyRefused(AppError):
    status = 409
    code = "service_already_refused"
    title = "Service to this patient is already refused"
    rule = "REC-22"


def check_termination(failures_to_follow_advice: int, *, threatens_life_or_health: bool) -> None:
    """REC-22 (O 8.6, O 3.17, conduct rules 3.3): two or more recorded failures allow ending the
    contract; never where refusing threatens life or the health of others. Emergency care is
    never refused, whatever this decides (the event says so)."""
    if threatens_life_or_health:
        raise RefusalEndangers()
    if failures_to_follow_advice < FAILURES_TO_END_CONTRACT:
        raise TerminationNotAllowed(failures=failures_to_follow_advice, needed=FAILURES_TO_END_CONTRACT)
