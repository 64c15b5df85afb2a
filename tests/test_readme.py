"""The README's generated sections (event catalogue, role table) match the code."""

from __future__ import annotations

from clinic_devstack.docs import main


def test_readme_event_catalogue_and_role_table_are_current() -> None:
    assert main(["--check"]) == 0, "run: python -m clinic_devstack.docs --write"
