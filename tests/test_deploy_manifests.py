"""The Kubernetes manifests are valid offline: probes, limits, no literal secrets, CRD schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

VALIDATE = Path(__file__).resolve().parents[1] / "deploy" / "k8s" / "validate.py"


def test_k8s_manifests_validate() -> None:
    done = subprocess.run([sys.executable, str(VALIDATE)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout
