"""Fixtures of the deployment tests: the rendered overlays, rendered once per run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The tests run with --import-mode=importlib, which puts no test folder on sys.path; the helper
# modules beside this file (k8s_*.py) are imported by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from k8s_manifests import OVERLAYS, Rendered, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    """Every overlay as `kubectl kustomize` renders it."""
    return {name: render(path) for name, path in OVERLAYS.items()}


@pytest.fixture(scope="session")
def production(rendered: dict[str, Rendered]) -> Rendered:
    return rendered["production"]
