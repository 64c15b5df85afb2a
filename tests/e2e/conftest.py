"""End-to-end tests: the API fuzzing's figures are printed at the end of the run."""

from __future__ import annotations

from typing import Any

import pytest

FUZZ_FIGURES = "fuzz_figures"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    lines = [
        str(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == FUZZ_FIGURES
    ]
    if lines:
        terminalreporter.section("API fuzzing (Schemathesis, all checks and phases)")
        for line in lines:
            terminalreporter.write_line(line)
