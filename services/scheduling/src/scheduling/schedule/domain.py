"""Free time as plain Python: working windows minus what is taken (SCH-2, SCH-5, SCH-8, SCH-11).

Free slots are never stored: they are computed on each request from the practitioner's working
windows of the day (`practitioner.domain.windows_on`, clipped to the branch's opening hours) minus
busy intervals: active appointments at their booked and their expected (delayed) times, and
absences. A slot of length L starts at a window's start plus a multiple of L, which is also what
"aligned to the visit's length" means for a booking.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from clinic_common.calendar import local_to_utc
from clinic_common.errors import AppError

from scheduling.practitioner.domain import WorkWindow

MAX_PERIOD_DAYS = 31


class OutsideWorkingHours(AppError):
    status = 422
    code = "outside_working_hours"
    title = "The time is outside the branch's opening hours or the practitioner's shift"
    rule = "SCH-5"


class StartNotAligned(AppError):
    status = 422
    code = "start_not_aligned"
    title = "The start is not on the practitioner's grid of visits of this length"
    rule = "SCH-2"


class PeriodTooLong(AppError):
    status = 422
    code = "period_too_long"
    title = f"Free slots are searched over at most {MAX_PERIOD_DAYS} days"


class PeriodInverted(AppError):
    status = 422
    code = "period_inverted"
    title = "`from` is after `to`"


class Span(NamedTuple):
    """A half-open interval of instants [start, end); ordered by start, then end.

    A tuple rather than a dataclass: a slot search makes thousands of them per request."""

    start: datetime
    end: datetime

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Window:
    """A working window as instants at one branch (from a `WorkWindow` of a local date)."""

    branch_id: UUID
    span: Span


def to_instants(day: date, windows: Iterable[WorkWindow], time_zone: str) -> list[Window]:
    """Branch-local windows of `day` as instants (ORG-1: stored and compared in UTC)."""
    return [
        Window(
            w.branch_id, Span(local_to_utc(day, w.starts, time_zone), local_to_utc(day, w.ends, time_zone))
        )
        for w in windows
    ]


class Busy:
    """Busy intervals of one practitioner, merged, for fast overlap tests."""

    def __init__(self, spans: Iterable[Span]) -> None:
        merged: list[Span] = []
        for span in sorted(spans):
            if merged and span.start <= merged[-1].end:
                last = merged[-1]
                merged[-1] = Span(last.start, max(last.end, span.end))
            else:
                merged.append(span)
        self.spans = merged
        self._starts = [s.start for s in merged]

    def overlaps(self, span: Span) -> bool:
        i = bisect.bisect_left(self._starts, span.end)  # spans starting before `span` ends
        return i > 0 and self.spans[i - 1].end > span.start


def grid(window: Window, length: timedelta) -> list[Span]:
    """The window's visits of `length`, back to back from its start (SCH-2), in order."""
    spans = []
    start, end = window.span
    while (finish := start + length) <= end:
        spans.append(Span(start, finish))
        start = finish
    return spans


def free_of(slots: Iterable[Span], busy: Busy, not_before: datetime) -> list[Span]:
    """SCH-5, SCH-8, SCH-11: the slots that start no earlier than `not_before` (now plus the
    channel's lead time) and overlap nothing busy."""
    if not busy.spans:
        return [s for s in slots if s.start >= not_before]
    overlaps = busy.overlaps
    return [s for s in slots if s.start >= not_before and not overlaps(s)]


def free_spans(
    windows: Sequence[Window], length: timedelta, busy: Busy, not_before: datetime
) -> Iterator[tuple[UUID, Span]]:
    """The free grid slots of the windows (`free_of` each window's `grid`), with their branch."""
    for window in windows:
        for span in free_of(grid(window, length), busy, not_before):
            yield window.branch_id, span


def place(span: Span, windows: Sequence[Window]) -> UUID:
    """SCH-5, SCH-2: the branch of the window that holds the whole visit on its grid.

    A start inside a window but off its grid is `start_not_aligned`; anything not held by one
    window (outside the shift or opening hours, across a break or the end) `outside_working_hours`."""
    length = span.end - span.start
    for window in windows:
        if window.span.start <= span.start and span.end <= window.span.end:
            if (span.start - window.span.start) % length:
                raise StartNotAligned(
                    f"visits of {length.seconds // 60} minutes start at "
                    f"{window.span.start.isoformat()} plus multiples of their length",
                    grid_start=window.span.start.isoformat(),
                    visit_minutes=length.seconds // 60,
                )
            return window.branch_id
    raise OutsideWorkingHours()


def period_days(first: date, last: date) -> list[date]:
    """The local dates from `first` to `last` inclusive, at most MAX_PERIOD_DAYS of them."""
    if last < first:
        raise PeriodInverted()
    count = (last - first).days + 1
    if count > MAX_PERIOD_DAYS:
        raise PeriodTooLong(max_days=MAX_PERIOD_DAYS)
    return [first + timedelta(days=n) for n in range(count)]
