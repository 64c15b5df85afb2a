#!/usr/bin/env python3
"""Offline checks of the Kubernetes manifests under deploy/k8s.

    .venv/bin/python deploy/k8s/validate.py

1. Every YAML file under base/ and overlays/ parses; every manifest has apiVersion, kind and
   metadata.name; kustomization files point at files and targets that exist.
2. Workloads: every Deployment/StatefulSet container has readiness and liveness probes; every
   workload container has resource requests and limits and runs non-root on a read-only root fs.
3. Secrets by reference only: no Secret with data, no secret-looking env var or ConfigMap key with
   a literal value, no credentials inside a URL.
4. Custom resources are validated against the trimmed schemas in crds/ (a JSON Schema subset:
   type, required, properties, additionalProperties, items, enum, pattern, minimum, anyOf, not).
5. References inside the rendered app resolve: HPA targets, Service/PDB/NetworkPolicy selectors,
   ServiceMonitor ports, Ingress backends, Database -> Cluster and owner role.

Base and each overlay are rendered with `kubectl kustomize` when kubectl is on PATH; without it
they are assembled from their resources (patches and generators not applied) and checked as such.
Exits 1 on any problem and prints a summary either way. Needs PyYAML.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("validate.py needs PyYAML (pip install pyyaml)")

ROOT = Path(__file__).resolve().parent
TREES = ("base", "overlays")
BUILTIN_API = {
    ("v1", k)
    for k in ("Namespace", "ConfigMap", "Secret", "Service", "ServiceAccount", "PersistentVolumeClaim")
} | {
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("policy/v1", "PodDisruptionBudget"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|DATABASE_URL|_DSN)$", re.I)
URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:[^/\s@'\"]+@", re.I)
KUSTOMIZATION = {"kustomization.yaml", "kustomization.yml", "Kustomization"}


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.notes: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")


# --- JSON Schema subset ------------------------------------------------------------------------

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
    "null": type(None),
}


def _is_type(value: Any, name: str) -> bool:
    if name in {"integer", "number"} and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def schema_errors(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    here = path or "/"
    out: list[str] = []
    if "anyOf" in schema and not any(not schema_errors(value, s, path) for s in schema["anyOf"]):
        return [f"{here}: matches none of anyOf"]
    if "not" in schema and not schema_errors(value, schema["not"], path):
        return [f"{here}: value {value!r} is not allowed"]
    kind = schema.get("type")
    if kind is not None:
        names = kind if isinstance(kind, list) else [kind]
        if not any(_is_type(value, n) for n in names):
            return [f"{here}: expected {'/'.join(names)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{here}: {value!r} not one of {schema['enum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        out.append(f"{here}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{here}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{here}: {value} > maximum {schema['maximum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{here}: missing required {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                out += schema_errors(item, props[key], f"{path}/{key}")
            elif extra is False:
                out.append(f"{here}: unknown field {key!r}")
            elif isinstance(extra, dict):
                out += schema_errors(item, extra, f"{path}/{key}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{here}: fewer than {schema['minItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                out += schema_errors(item, schema["items"], f"{path}/{i}")
    return out


def load_schemas(report: Report) -> dict[tuple[str, str], dict[str, Any]]:
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for file in sorted((ROOT / "crds").rglob("*.json")):
        try:
            schema = json.loads(file.read_text())
        except json.JSONDecodeError as exc:
            report.error(str(file.relative_to(ROOT)), f"invalid JSON: {exc}")
            continue
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            schemas[(f"{gvk['group']}/{gvk['version']}", gvk["kind"])] = schema
    return schemas


# --- loading -----------------------------------------------------------------------------------


def load_yaml(file: Path, report: Report) -> list[Any]:
    try:
        return [d for d in yaml.safe_load_all(file.read_text()) if d is not None]
    except yaml.YAMLError as exc:
        report.error(str(file.relative_to(ROOT)), f"YAML does not parse: {exc}")
        return []


def kustomization_file(directory: Path) -> Path | None:
    return next((directory / n for n in KUSTOMIZATION if (directory / n).is_file()), None)


def assemble(directory: Path, report: Report, seen: set[Path] | None = None) -> list[dict[str, Any]]:
    """The resources a kustomization lists, recursively, without patches or generators."""
    seen = seen if seen is not None else set()
    kfile = kustomization_file(directory)
    if kfile is None or kfile in seen:
        return []
    seen.add(kfile)
    docs: list[dict[str, Any]] = []
    kust = (load_yaml(kfile, report) or [{}])[0]
    for entry in kust.get("resources", []) or []:
        target = (directory / entry).resolve()
        if target.is_dir():
            docs += assemble(target, report, seen)
        elif target.is_file():
            docs += [d for d in load_yaml(target, report) if isinstance(d, dict)]
    return docs


def generators(directory: Path, report: Report) -> dict[str, dict[str, str]]:
    """ConfigMap generators of a kustomization and its bases: name -> merged literals."""
    kfile = kustomization_file(directory)
    if kfile is None:
        return {}
    kust = (load_yaml(kfile, report) or [{}])[0]
    out: dict[str, dict[str, str]] = {}
    for entry in kust.get("resources", []) or []:
        if (directory / entry).is_dir():
            for name, lits in generators((directory / entry).resolve(), report).items():
                out.setdefault(name, {}).update(lits)
    for gen in kust.get("configMapGenerator", []) or []:
        lits = dict(lit.split("=", 1) for lit in gen.get("literals", []) if "=" in lit)
        out.setdefault(gen["name"], {}).update(lits)
    return out


def render(directory: Path) -> list[dict[str, Any]] | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    done = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or "kubectl kustomize failed")
    return [d for d in yaml.safe_load_all(done.stdout) if isinstance(d, dict)]


# --- checks of single documents ----------------------------------------------------------------


def where_of(doc: dict[str, Any], origin: str) -> str:
    name = (doc.get("metadata") or {}).get("name", "?")
    return f"{origin} {doc.get('kind', '?')}/{name}"


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    spec: Any = doc.get("spec") or {}
    if doc.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    elif doc.get("kind") not in WORKLOADS:
        return None
    found = (spec.get("template") or {}).get("spec")
    return found if isinstance(found, dict) else None


def pod_labels(doc: dict[str, Any]) -> dict[str, str]:
    return ((doc.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}


def check_document(doc: Any, origin: str, schemas: dict[tuple[str, str], Any], report: Report) -> None:
    if not isinstance(doc, dict):
        report.error(origin, "a document is not a mapping")
        return
    where = where_of(doc, origin)
    for key in ("apiVersion", "kind"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            report.error(where, f"missing {key}")
    if not isinstance((doc.get("metadata") or {}).get("name"), str):
        report.error(where, "missing metadata.name")
    api = (doc.get("apiVersion"), doc.get("kind"))
    if api in schemas:
        for problem in schema_errors(doc, schemas[api]):
            report.error(where, f"schema: {problem}")
    elif api not in BUILTIN_API:
        report.error(where, f"{api[0]} {api[1]} is neither a known built-in kind nor has a schema in crds/")

    text = yaml.safe_dump(doc)
    if URL_CREDENTIALS.search(text):
        report.error(where, "a URL with embedded credentials: use a secretKeyRef")
    if doc.get("kind") == "Secret" and (doc.get("data") or doc.get("stringData")):
        report.error(where, "Secret with literal data: secrets are provided out of band, by reference")
    if doc.get("kind") == "ConfigMap":
        for key in doc.get("data") or {}:
            if SECRET_NAME.search(key):
                report.error(where, f"ConfigMap key {key} looks like a secret")

    spec = pod_spec(doc)
    if spec is None:
        return
    pod_sc = spec.get("securityContext") or {}
    containers = spec.get("containers") or []
    if not containers:
        report.error(where, "no containers")
    for c in containers + (spec.get("initContainers") or []):
        cw = f"{where} container {c.get('name', '?')}"
        if doc.get("kind") in LONG_RUNNING and c in containers:
            for probe in ("readinessProbe", "livenessProbe"):
                if not c.get(probe):
                    report.error(cw, f"no {probe}")
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if r not in (res.get(part) or {}):
                    report.error(cw, f"no resources.{part}.{r}")
        csc = c.get("securityContext") or {}
        if not (csc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))):
            report.error(cw, "runAsNonRoot is not set")
        if csc.get("readOnlyRootFilesystem") is not True:
            report.error(cw, "readOnlyRootFilesystem is not true")
        if csc.get("allowPrivilegeEscalation") is not False:
            report.error(cw, "allowPrivilegeEscalation is not false")
        for env in c.get("env") or []:
            if SECRET_NAME.search(env.get("name", "")) and "value" in env:
                report.error(cw, f"env {env['name']} has a literal value: use valueFrom.secretKeyRef")


def check_kustomization(kfile: Path, report: Report) -> None:
    where = str(kfile.relative_to(ROOT))
    directory = kfile.parent
    kust = (load_yaml(kfile, report) or [None])[0]
    if not isinstance(kust, dict):
        report.error(where, "empty kustomization")
        return
    for entry in kust.get("resources", []) or []:
        target = directory / entry
        if not (target.is_file() or (target.is_dir() and kustomization_file(target))):
            report.error(where, f"resource {entry} does not exist")
    docs = assemble(directory, report)
    base_gens = {}
    for entry in kust.get("resources", []) or []:
        if (directory / entry).is_dir():
            base_gens.update(generators((directory / entry).resolve(), report))
    for gen in kust.get("configMapGenerator", []) or []:
        for lit in gen.get("literals", []):
            key = lit.split("=", 1)[0]
            if "=" not in lit:
                report.error(where, f"configMapGenerator literal {lit!r} is not KEY=VALUE")
            elif SECRET_NAME.search(key):
                report.error(where, f"configMapGenerator literal {key} looks like a secret")
        if gen.get("behavior") == "merge" and gen["name"] not in base_gens:
            report.error(where, f"configMapGenerator {gen['name']} merges into nothing")
    images = {
        c.get("image", "").rsplit(":", 1)[0]
        for d in docs
        if (spec := pod_spec(d))
        for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
    }
    for image in kust.get("images", []) or []:
        if image["name"] not in images:
            report.error(where, f"images: {image['name']} is used by no container")
    for patch in kust.get("patches", []) or []:
        body = patch.get("patch")
        if "path" in patch:
            if not (directory / patch["path"]).is_file():
                report.error(where, f"patch file {patch['path']} does not exist")
                continue
            body = (directory / patch["path"]).read_text()
        target = patch.get("target") or {}
        matches = [
            d
            for d in docs
            if d.get("kind") == target.get("kind", d.get("kind"))
            and d.get("metadata", {}).get("name") == target.get("name", d.get("metadata", {}).get("name"))
            and d.get("apiVersion", "").startswith(target.get("group", ""))
        ]
        if target and not matches:
            report.error(where, f"patch target {target} matches no resource")
        try:
            ops = yaml.safe_load(body or "")
        except yaml.YAMLError as exc:
            report.error(where, f"patch does not parse: {exc}")
            continue
        if isinstance(ops, list):  # JSON 6902: replaced and removed paths must exist
            for op in ops:
                if op.get("op") in {"replace", "remove", "test"}:
                    for d in matches:
                        if not _pointer_exists(d, op.get("path", "")):
                            report.error(
                                where, f"patch path {op.get('path')} missing in {where_of(d, '').strip()}"
                            )


def _pointer_exists(doc: Any, pointer: str) -> bool:
    node = doc
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True


# --- references inside one rendered (or assembled) app -----------------------------------------


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def check_references(
    docs: list[dict[str, Any]], origin: str, config_maps: set[str], report: Report
) -> set[str]:
    """Cross-document checks; returns the Secret names the app expects to be provided."""
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for d in docs:
        by_kind.setdefault(d.get("kind", ""), {})[d.get("metadata", {}).get("name", "")] = d
    templates = [pod_labels(d) for d in docs if pod_spec(d) is not None]
    config_maps = config_maps | set(by_kind.get("ConfigMap", {}))
    secrets: set[str] = set()

    def err(d: dict[str, Any], message: str) -> None:
        report.error(where_of(d, origin), message)

    for d in docs:
        spec = d.get("spec") or {}
        kind = d.get("kind")
        pod = pod_spec(d)
        if pod is not None:
            for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
                for src in c.get("envFrom") or []:
                    name = (src.get("configMapRef") or {}).get("name")
                    if name and name not in config_maps:
                        err(d, f"envFrom ConfigMap {name} is not defined")
                for env in c.get("env") or []:
                    ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                    if ref:
                        secrets.add(f"{ref['name']} (key {ref['key']})")
            for vol in pod.get("volumes") or []:
                name = (vol.get("configMap") or {}).get("name")
                if name and name not in config_maps:
                    err(d, f"volume ConfigMap {name} is not defined")
        if kind == "HorizontalPodAutoscaler":
            ref = spec.get("scaleTargetRef", {})
            if ref.get("name") not in by_kind.get(ref.get("kind", ""), {}):
                err(d, f"scaleTargetRef {ref.get('kind')}/{ref.get('name')} does not exist")
        if kind in {"Service", "PodDisruptionBudget"}:
            sel = spec.get("selector") or {}
            sel = sel.get("matchLabels", {}) if kind == "PodDisruptionBudget" else sel
            if not any(_selects(sel, t) for t in templates):
                err(d, f"selector {sel} matches no pod template")
        if kind == "NetworkPolicy":
            selectors = [spec.get("podSelector", {}).get("matchLabels") or {}]
            for rule in spec.get("ingress") or []:
                selectors += [
                    (peer.get("podSelector") or {}).get("matchLabels") or {}
                    for peer in rule.get("from") or []
                    if "podSelector" in peer and "namespaceSelector" not in peer
                ]
            for sel in selectors:  # pods the CloudNativePG operator creates are not in these files
                operator_made = any(k.startswith("cnpg.io/") for k in sel)
                if sel and not operator_made and not any(_selects(sel, t) for t in templates):
                    err(d, f"podSelector {sel} matches no pod template")
        if kind == "ServiceMonitor":
            sel = spec.get("selector", {}).get("matchLabels", {})
            services = [
                s
                for s in by_kind.get("Service", {}).values()
                if _selects(sel, s["metadata"].get("labels") or {})
            ]
            if not services:
                err(d, f"selector {sel} matches no Service")
            ports = {p.get("name") for s in services for p in s["spec"].get("ports", [])}
            for ep in spec.get("endpoints") or []:
                if "port" in ep and ep["port"] not in ports:
                    err(d, f"endpoint port {ep['port']} is not a named port of the selected Services")
        if kind == "Ingress":
            for tls in spec.get("tls") or []:
                secrets.add(f"{tls['secretName']} (TLS certificate)")
            for rule in spec.get("rules") or []:
                for p in (rule.get("http") or {}).get("paths") or []:
                    backend = p["backend"]["service"]
                    svc = by_kind.get("Service", {}).get(backend["name"])
                    if svc is None:
                        err(d, f"backend Service {backend['name']} does not exist")
                        continue
                    want = backend["port"].get("name") or backend["port"].get("number")
                    have = {x.get("name") for x in svc["spec"]["ports"]} | {
                        x.get("port") for x in svc["spec"]["ports"]
                    }
                    if want not in have:
                        err(d, f"backend port {want} is not a port of Service {backend['name']}")
        if kind == "Cluster":
            for role in (spec.get("managed") or {}).get("roles") or []:
                if "passwordSecret" in role:
                    secrets.add(
                        f"{role['passwordSecret']['name']} (kubernetes.io/basic-auth: username, password)"
                    )
        if kind == "Database":
            cluster = by_kind.get("Cluster", {}).get(str((spec.get("cluster") or {}).get("name")))
            if cluster is None:
                err(d, f"cluster {spec.get('cluster')} does not exist")
            else:
                initdb = ((cluster["spec"].get("bootstrap") or {}).get("initdb") or {}).get("owner")
                roles = {r["name"] for r in (cluster["spec"].get("managed") or {}).get("roles") or []}
                if spec.get("owner") not in roles | {initdb}:
                    err(
                        d, f"owner {spec.get('owner')} is not a role of Cluster {cluster['metadata']['name']}"
                    )
    return secrets


# --- main --------------------------------------------------------------------------------------


def main() -> int:
    report = Report()
    schemas = load_schemas(report)
    kinds: Counter[str] = Counter()
    files = sorted(f for tree in TREES for f in (ROOT / tree).rglob("*.y*ml"))
    manifests = 0
    for file in files:
        rel = str(file.relative_to(ROOT))
        if file.name in KUSTOMIZATION:
            check_kustomization(file, report)
            continue
        for doc in load_yaml(file, report):
            manifests += 1
            kinds[doc.get("kind", "?") if isinstance(doc, dict) else "?"] += 1
            check_document(doc, rel, schemas, report)

    apps = [ROOT / "base", *sorted(p for p in (ROOT / "overlays").iterdir() if kustomization_file(p))]
    rendered_counts: list[str] = []
    secrets: set[str] = set()
    for app in apps:
        rel = str(app.relative_to(ROOT))
        try:
            docs = render(app)
            why = "kubectl not found"
        except RuntimeError as exc:
            report.error(rel, f"kubectl kustomize: {exc}")
            docs, why = None, "kubectl kustomize failed"
        if docs is None:
            docs = assemble(app, report)
            gens = set(generators(app, report))
            label = f"{rel} (assembled; {why}: patches and generators not applied)"
        else:
            gens = set()
            label = f"{rel} (rendered)"
            for doc in docs:
                check_document(doc, f"[{rel}]", schemas, report)
        secrets |= check_references(docs, f"[{rel}]", gens, report)
        rendered_counts.append(f"{label}: {len(docs)} resources")

    print(
        f"files: {len(files)} YAML under {', '.join(TREES)}; {manifests} manifests; "
        f"{len(schemas)} CRD schemas in crds/"
    )
    print("kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    for line in rendered_counts:
        print(line)
    print("secrets to provide: " + ", ".join(sorted(secrets)))
    if report.errors:
        print(f"\n{len(report.errors)} problem(s):")
        for e in report.errors:
            print(f"  - {e}")
        return 1
    print("OK: no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
