"""`python -m home_visits.cli migrate|check|seed`."""

from __future__ import annotations

from pathlib import Path

from clinic_common.cli import main_guard, run_cli

from home_visits.config import get_settings
from home_visits.demo import seed

SERVICE_DIR = Path(__file__).resolve().parents[2]

if __name__ == "__main__":
    main_guard(run_cli(SERVICE_DIR, get_settings(), seed))
