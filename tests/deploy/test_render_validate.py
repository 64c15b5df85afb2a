"""Every overlay renders with kustomize and passes the real validators; broken manifests do not."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from k8s_manifests import (
    K8S,
    KUBERNETES_VERSION,
    OVERLAYS,
    ROOT,
    Doc,
    Rendered,
    RenderError,
    crd_schemas,
    render,
    validation_errors,
)


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_overlay_renders_and_validates(overlay: str, rendered: dict[str, Rendered]) -> None:
    docs = rendered[overlay].docs
    assert docs, overlay
    assert validation_errors(docs) == []


def test_every_custom_resource_kind_has_a_schema(rendered: dict[str, Rendered]) -> None:
    kinds = {(d["apiVersion"], d["kind"].lower()) for r in rendered.values() for d in r.docs}
    custom = {k for k in kinds if "." in k[0].split("/")[0] and not k[0].split("/")[0].endswith("k8s.io")}
    assert custom <= set(crd_schemas()), custom - set(crd_schemas())


def test_the_readme_names_the_validated_kubernetes_version() -> None:
    assert f"Kubernetes {KUBERNETES_VERSION}" in (ROOT / "deploy" / "README.md").read_text()


def _set(path: str, value: object) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


BROKEN: dict[str, tuple[str, str, Callable[[Doc], None], str]] = {
    # built-in kinds (kubernetes-validate --strict)
    "unknown field": ("Deployment", "scheduling", _set("spec.replcas", 2), "replcas"),
    "wrong type": ("Service", "billing", _set("spec.ports.0.port", "eighty"), "eighty"),
    "missing required": (
        "HorizontalPodAutoscaler",
        "records",
        lambda d: d["spec"].pop("maxReplicas"),
        "maxReplicas",
    ),
    "unknown api version": (
        "PodDisruptionBudget",
        "records",
        _set("apiVersion", "policy/v2"),
        "PodDisruptionBudget",
    ),
    # custom resources (jsonschema, CRD schemas)
    "CR unknown field": ("Cluster", "records-pg", _set("spec.instaces", 3), "instaces"),
    "CR wrong type": ("Cluster", "billing-pg", _set("spec.instances", "three"), "three"),
    "CR enum": ("ScheduledBackup", "scheduling-pg", _set("spec.method", "snapshot"), "snapshot"),
    "CR pattern": ("ObjectStore", "clinic-backups", _set("spec.retentionPolicy", "30 days"), "30 days"),
    "CR duration": ("PrometheusRule", "clinic", _set("spec.groups.0.rules.0.for", "5 minutes"), "5 minutes"),
    "CR required": ("ServiceMonitor", "home-visits", lambda d: d["spec"].pop("selector"), "selector"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_manifest_fails_validation(case: str, production: Rendered) -> None:
    kind, name, breaks, expected = BROKEN[case]
    docs = json.loads(json.dumps(production.docs))
    broken = Rendered(production.path, docs)
    breaks(broken.get(kind, name))
    errors = validation_errors(docs)
    assert errors, case
    assert any(expected in e for e in errors), errors


def test_a_broken_overlay_on_disk_fails(tmp_path: Path) -> None:
    """The whole path: a kustomization on disk, rendered by kustomize, refused by the validator."""
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree)
    overlay = tree / "overlays" / "broken"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "resources: [../production]\n"
        "patches:\n"
        "  - target: {kind: Deployment, name: billing}\n"
        "    patch: |-\n"
        "      - {op: add, path: /spec/template/spec/terminationGracePeriodSeconds, value: soon}\n"
    )
    errors = validation_errors(render(overlay).docs)
    assert any("soon" in e for e in errors), errors


def test_a_kustomization_with_a_missing_file_fails_to_render(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    with pytest.raises(RenderError):
        render(tmp_path)


@pytest.mark.parametrize("path", sorted((K8S / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_examples_validate(path: Path) -> None:
    """The manifests the operations guide tells operators to apply are valid too."""
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert docs
    assert validation_errors(docs) == []
