"""When a failed delivery is tried again, and when it is given up (pure; unit-tested)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_seconds: Sequence[float] = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if any(step < 0 for step in self.backoff_seconds):
            raise ValueError("back-off steps cannot be negative")

    def delay_after(self, attempts: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait after the `attempts`-th attempt failed transiently; None: give up.

        The steps are used in order and the last one repeats; a provider's own `retry_after`
        is honoured when it asks for longer."""
        if attempts >= self.max_attempts:
            return None
        steps = list(self.backoff_seconds) or [0.0]
        delay = steps[min(max(attempts, 1), len(steps)) - 1]
        return max(delay, retry_after or 0.0)

    def exhausted(self, attempts: int) -> bool:
        """True when a row has been claimed more times than allowed (e.g. crash loops)."""
        return attempts > self.max_attempts
