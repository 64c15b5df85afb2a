"""Every service is rendered from one template: its own file holds only what differs, no run of
ten lines stands in two services' files, and a fifth service is one new small file."""

from __future__ import annotations

import difflib
import itertools
import shutil
from pathlib import Path

import pytest
from k8s_manifests import K8S, ROOT, SERVICES_DIR, render, validation_errors

SERVICE_FILES = sorted(SERVICES_DIR.glob("*/kustomization.yaml"))
TEMPLATE_KINDS = {
    "Job",
    "Deployment",
    "Service",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "ServiceMonitor",
    "Ingress",
    "Cluster",
    "ScheduledBackup",
    "PodMonitor",
    "NetworkPolicy",
}


def _lines(path: Path) -> list[str]:
    """Content lines, whitespace folded, comments and blank lines left out."""
    out = []
    for line in path.read_text().splitlines():
        text = " ".join(line.split("#", 1)[0].split())
        if text:
            out.append(text)
    return out


def longest_shared_run(a: list[str], b: list[str]) -> int:
    blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return max((block.size for block in blocks), default=0)


def test_every_service_of_the_repository_is_deployed_from_one_file() -> None:
    in_repository = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())
    assert [p.parent.name for p in SERVICE_FILES] == in_repository
    for path in SERVICE_FILES:
        assert [p.name for p in path.parent.iterdir()] == ["kustomization.yaml"]
        assert len(_lines(path)) <= 25, path


@pytest.mark.parametrize(
    ("a", "b"), list(itertools.combinations(SERVICE_FILES, 2)), ids=lambda p: p.parent.name
)
def test_no_run_of_ten_lines_in_two_service_files(a: Path, b: Path) -> None:
    assert longest_shared_run(_lines(a), _lines(b)) < 10


def test_the_run_check_sees_a_copied_block(tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text((K8S / "service-template" / "render" / "app.yaml").read_text())
    assert longest_shared_run(_lines(copy), _lines(K8S / "service-template" / "render" / "app.yaml")) >= 10


def test_a_fifth_service_is_one_small_file(tmp_path: Path) -> None:
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree)
    (tree / "base" / "services" / "lab").mkdir()
    (tree / "base" / "services" / "lab" / "kustomization.yaml").write_text(
        (SERVICES_DIR / "home-visits" / "kustomization.yaml")
        .read_text()
        .replace("home-visits", "lab")
        .replace("home_visits", "lab")
        .replace("HOME_VISITS", "LAB")
    )
    base = tree / "base" / "kustomization.yaml"
    base.write_text(
        base.read_text().replace("  - services/home-visits\n", "  - services/home-visits\n  - services/lab\n")
    )
    rendered = render(tree / "overlays" / "production")
    lab = {
        d["kind"]
        for d in rendered.docs
        if d["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "lab"
    }
    assert lab == TEMPLATE_KINDS
    assert rendered.get("Cluster", "lab-pg")["spec"]["bootstrap"]["initdb"]["database"] == "lab"
    assert validation_errors(rendered.docs) == []
