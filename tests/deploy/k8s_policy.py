"""The project's own rules for its manifests, on top of the schemas. Each check returns the
problems it finds (empty when the rule holds), so a test can show it catching a broken copy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from k8s_manifests import Doc, Rendered, containers, pod_spec, where

WORKLOADS = ("Deployment", "StatefulSet", "Job")
LONG_RUNNING = ("Deployment", "StatefulSet")
SECRET_LIKE = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|DATABASE_URL|_DSN)$", re.I)
URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:[^/\s@'\"]+@", re.I)
PLACEHOLDERS = re.compile(r"\b(SERVICE|PACKAGE|PREFIX|ROUTE|DATABASE)\b")
# Secrets the operators create out of band (deploy/README.md); everything else must be generated
# by CloudNativePG for a rendered Cluster (`<cluster>-app`).
PROVIDED_SECRETS = {"clinic-api-tls", "clinic-backup-s3"}


def workloads(r: Rendered, kinds: tuple[str, ...] = WORKLOADS) -> Iterator[Doc]:
    for kind in kinds:
        yield from r.of_kind(kind)


def probes(r: Rendered) -> list[str]:
    """Long-running containers have readiness and liveness probes on a declared port; the API's
    also a startup probe (migrations and imports must not trip liveness)."""
    problems = []
    for doc in workloads(r, LONG_RUNNING):
        for role, c in containers(doc):
            if role != "app":
                continue
            names = {p.get("name") for p in c.get("ports", [])}
            kinds = ("readinessProbe", "livenessProbe") + (
                ("startupProbe",) if doc["kind"] == "Deployment" else ()
            )
            for kind in kinds:
                probe = c.get(kind)
                if probe is None:
                    problems.append(f"{where(doc)}/{c['name']}: no {kind}")
                elif "httpGet" in probe and probe["httpGet"]["port"] not in names:
                    problems.append(
                        f"{where(doc)}/{c['name']}: {kind} port {probe['httpGet']['port']} undeclared"
                    )
    return problems


def _quantity(value: Any) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
    text = str(value)
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def resources(r: Rendered) -> list[str]:
    """Every container requests CPU and memory and caps memory at no less than it requests."""
    problems = []
    for doc in workloads(r):
        for _, c in containers(doc):
            res = c.get("resources", {})
            requests, limits = res.get("requests", {}), res.get("limits", {})
            for key in ("cpu", "memory"):
                if key not in requests:
                    problems.append(f"{where(doc)}/{c['name']}: no {key} request")
            if "memory" not in limits:
                problems.append(f"{where(doc)}/{c['name']}: no memory limit")
            elif "memory" in requests and _quantity(limits["memory"]) < _quantity(requests["memory"]):
                problems.append(f"{where(doc)}/{c['name']}: memory limit below its request")
    for cluster in r.of_kind("Cluster"):
        res = cluster["spec"].get("resources", {})
        if not {"cpu", "memory"} <= set(res.get("requests", {})) or "memory" not in res.get("limits", {}):
            problems.append(f"{where(cluster)}: PostgreSQL without cpu/memory requests and a memory limit")
    return problems


def hardened(r: Rendered) -> list[str]:
    """Non-root, read-only root file system, no privilege escalation, no capabilities, seccomp."""
    problems = []
    for doc in workloads(r):
        pod = pod_spec(doc).get("securityContext", {})
        if pod.get("runAsNonRoot") is not True:
            problems.append(f"{where(doc)}: pod not runAsNonRoot")
        if pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where(doc)}: no RuntimeDefault seccomp profile")
        if pod_spec(doc).get("automountServiceAccountToken") is not False:
            problems.append(f"{where(doc)}: mounts a service account token it does not use")
        for _, c in containers(doc):
            sc = c.get("securityContext", {})
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where(doc)}/{c['name']}: root file system writable")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where(doc)}/{c['name']}: privilege escalation allowed")
            if sc.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where(doc)}/{c['name']}: capabilities not dropped")
    for ns in r.of_kind("Namespace"):
        if ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
            problems.append(f"{where(ns)}: Pod Security Standard `restricted` not enforced")
    return problems


def _matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    wanted = (selector or {}).get("matchLabels", {})
    return all(labels.get(k) == v for k, v in wanted.items())


def disruption_budgets(r: Rendered) -> list[str]:
    """Every workload with two pods or more has a PDB that selects it and still lets a node drain."""
    problems = []
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in r.of_kind("HorizontalPodAutoscaler")}
    for doc in workloads(r, LONG_RUNNING):
        name = doc["metadata"]["name"]
        least = hpas[name]["spec"]["minReplicas"] if name in hpas else doc["spec"].get("replicas", 1)
        if least < 2:
            problems.append(f"{where(doc)}: fewer than 2 replicas")
            continue
        labels = doc["spec"]["template"]["metadata"]["labels"]
        budgets = [p for p in r.of_kind("PodDisruptionBudget") if _matches(p["spec"]["selector"], labels)]
        if len(budgets) != 1:
            problems.append(f"{where(doc)}: {len(budgets)} PodDisruptionBudgets select it")
        elif budgets[0]["spec"].get("minAvailable", 0) >= least:
            problems.append(f"{where(doc)}: its PDB blocks every eviction (minAvailable >= {least})")
    return problems


def secrets_by_reference(r: Rendered) -> list[str]:
    """No Secret data in the manifests, secret-looking settings only from Secrets, no credentials
    in URLs, and every referenced Secret is one the operators or CloudNativePG provide."""
    problems = [f"{where(s)}: a Secret in the manifests" for s in r.of_kind("Secret")]
    generated = {f"{c['metadata']['name']}-app" for c in r.of_kind("Cluster")}
    for cm in r.of_kind("ConfigMap"):
        for key, value in cm.get("data", {}).items():
            if SECRET_LIKE.search(key) or URL_CREDENTIALS.search(str(value)):
                problems.append(f"{where(cm)}: {key} looks like a secret")
    for doc in workloads(r):
        for _, c in containers(doc):
            for entry in c.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if "value" in entry and (
                    SECRET_LIKE.search(entry["name"]) or URL_CREDENTIALS.search(entry["value"])
                ):
                    problems.append(f"{where(doc)}/{c['name']}: {entry['name']} set literally")
                if ref and ref["name"] not in generated | PROVIDED_SECRETS:
                    problems.append(f"{where(doc)}/{c['name']}: Secret {ref['name']} is nobody's")
    return problems


# --- NetworkPolicy flows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: tuple[tuple[str, str], ...]

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def pod(namespace: str, **labels: str) -> Pod:
    return Pod(
        namespace, tuple(sorted((k.replace("__", "/").replace("_", "."), v) for k, v in labels.items()))
    )


def _peer_allows(peer: Doc, source: Pod, policy_ns: str) -> bool:
    if "ipBlock" in peer:
        return False
    ns_ok = (
        _matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": source.namespace})
        if "namespaceSelector" in peer
        else source.namespace == policy_ns
    )
    pod_ok = _matches(peer.get("podSelector"), source.label_map) if "podSelector" in peer else True
    return ns_ok and pod_ok


def allowed(r: Rendered, source: Pod, target: Pod, port: int) -> bool:
    """Whether the rendered NetworkPolicies let `source` open `port` on `target` (ingress only;
    egress stays open). No policy selecting the target means allowed, as in Kubernetes."""
    selecting = [
        p
        for p in r.of_kind("NetworkPolicy")
        if p["metadata"].get("namespace") == target.namespace
        and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
        and _matches(p["spec"]["podSelector"], target.label_map)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            ports = [p["port"] for p in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            peers = rule.get("from")
            if peers is None or any(_peer_allows(peer, source, target.namespace) for peer in peers):
                return True
    return False


def api_pods(r: Rendered) -> dict[str, Pod]:
    ns = r.namespace
    return {
        d["metadata"]["name"]: Pod(ns, tuple(sorted(d["spec"]["template"]["metadata"]["labels"].items())))
        for d in r.of_kind("Deployment")
    }


def postgres_pods(r: Rendered) -> dict[str, Pod]:
    """CloudNativePG labels every instance pod cnpg.io/cluster=<cluster>."""
    return {
        c["metadata"]["name"]: pod(r.namespace, cnpg_io__cluster=c["metadata"]["name"])
        for c in r.of_kind("Cluster")
    }


def network_flows(r: Rendered) -> list[str]:
    """The flows the system needs are open; the ones it must not have are shut."""
    ns = r.namespace
    (nats_set,) = r.of_kind("StatefulSet")
    nats = Pod(ns, tuple(sorted(nats_set["spec"]["template"]["metadata"]["labels"].items())))
    ingress = pod("ingress-nginx", app_kubernetes_io__name="ingress-nginx")
    prometheus = pod("monitoring", app_kubernetes_io__name="prometheus")
    operator = pod("cnpg-system", app_kubernetes_io__name="cloudnative-pg")
    stranger = pod(ns, app="debug")
    apis, dbs = api_pods(r), postgres_pods(r)
    must: list[tuple[str, Pod, Pod, int]] = [("NATS route", nats, nats, 6222)]
    never: list[tuple[str, Pod, Pod, int]] = [
        ("ingress -> NATS", ingress, nats, 4222),
        ("a stray pod -> NATS", stranger, nats, 4222),
        # covered by nothing but the namespace's default deny
        ("ingress -> a stray pod", ingress, stranger, 8080),
    ]
    for name, api in apis.items():
        db = dbs[f"{name}-pg"]
        must += [
            (f"ingress -> {name}", ingress, api, 8000),
            (f"prometheus -> {name}", prometheus, api, 8000),
            (f"{name} -> NATS", api, nats, 4222),
            (f"{name} -> its database", api, db, 5432),
            (f"{name}-pg replication", db, db, 5432),
            (f"operator -> {name}-pg", operator, db, 8000),
            (f"prometheus -> {name}-pg exporter", prometheus, db, 9187),
        ]
        never += [
            (f"a stray pod -> {name}", stranger, api, 8000),
            (f"ingress -> {name}-pg", ingress, db, 5432),
            (f"a stray pod -> {name}-pg", stranger, db, 5432),
        ]
        never += [(f"{other} -> {name}'s database", apis[other], db, 5432) for other in apis if other != name]
    problems = [f"{what}: refused" for what, src, dst, port in must if not allowed(r, src, dst, port)]
    problems += [f"{what}: allowed" for what, src, dst, port in never if allowed(r, src, dst, port)]
    return problems


# --- references and numbers ---------------------------------------------------------------------


def references(r: Rendered) -> list[str]:
    """Names that point at other resources resolve in the same rendering."""
    problems = []
    names = {(d["kind"], d["metadata"]["name"]) for d in r.docs}
    services = {s["metadata"]["name"]: s for s in r.of_kind("Service")}
    for hpa in r.of_kind("HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        if (ref["kind"], ref["name"]) not in names:
            problems.append(f"{where(hpa)}: scales a missing {ref['kind']}/{ref['name']}")
    for svc in services.values():
        pods = [
            d
            for d in workloads(r)
            if _matches(
                {"matchLabels": svc["spec"].get("selector", {})}, d["spec"]["template"]["metadata"]["labels"]
            )
        ]
        if not pods:
            problems.append(f"{where(svc)}: selects no pods")
    for ing in r.of_kind("Ingress"):
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                svc = services.get(backend["name"])
                if svc is None or backend["port"]["name"] not in {p["name"] for p in svc["spec"]["ports"]}:
                    problems.append(f"{where(ing)}: backend {backend} does not exist")
    for sm in r.of_kind("ServiceMonitor"):
        matched = [
            s for s in services.values() if _matches(sm["spec"]["selector"], s["metadata"].get("labels", {}))
        ]
        ports = {p["name"] for s in matched for p in s["spec"]["ports"]}
        if not matched or any(e["port"] not in ports for e in sm["spec"]["endpoints"]):
            problems.append(f"{where(sm)}: scrapes no Service port")
    stores = {o["metadata"]["name"] for o in r.of_kind("ObjectStore")}
    for cluster in r.of_kind("Cluster"):
        for plugin in cluster["spec"].get("plugins", []):
            if plugin["parameters"].get("barmanObjectName") not in stores:
                problems.append(f"{where(cluster)}: archives to a missing ObjectStore")
    for backup in r.of_kind("ScheduledBackup"):
        if ("Cluster", backup["spec"]["cluster"]["name"]) not in names:
            problems.append(f"{where(backup)}: backs up a missing Cluster")
    configmaps = {c["metadata"]["name"] for c in r.of_kind("ConfigMap")}
    for doc in workloads(r):
        for _, c in containers(doc):
            for source in c.get("envFrom", []):
                if source.get("configMapRef", {}).get("name") not in configmaps:
                    problems.append(f"{where(doc)}/{c['name']}: envFrom a missing ConfigMap")
    return problems


def database_capacity(r: Rendered) -> list[str]:
    """max_connections covers the service at its HPA maximum plus a surge pod, each pod's pool
    and overflow (2 x pool size), and headroom for migrations, the operator and superusers."""
    problems = []
    hpas = {h["metadata"]["name"]: h for h in r.of_kind("HorizontalPodAutoscaler")}
    for dep in r.of_kind("Deployment"):
        name = dep["metadata"]["name"]
        (app,) = pod_spec(dep)["containers"]
        pool = next(int(e["value"]) for e in app["env"] if e["name"].endswith("_DB_POOL_SIZE"))
        surge = dep["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        cluster = r.get("Cluster", f"{name}-pg")
        spec = cluster["spec"]
        need = (hpas[name]["spec"]["maxReplicas"] + surge) * 2 * pool + 20
        have = int(spec["postgresql"]["parameters"]["max_connections"])
        if have < need:
            problems.append(f"{where(cluster)}: max_connections {have} < {need} that {name} may open")
        sync = spec["postgresql"].get("synchronous")
        if sync and sync["number"] >= spec["instances"]:
            problems.append(f"{where(cluster)}: {sync['number']} synchronous standbys need more instances")
    return problems


def rendered_completely(text: str) -> list[str]:
    return [f"placeholder left: {line.strip()}" for line in text.splitlines() if PLACEHOLDERS.search(line)]


def images_pinned(r: Rendered) -> list[str]:
    problems = []
    for doc in workloads(r):
        for _, c in containers(doc):
            image = c["image"]
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            if tag in {"", "latest"}:
                problems.append(f"{where(doc)}/{c['name']}: image {image} has no release tag")
    return problems


CHECKS = {
    "probes": probes,
    "resources": resources,
    "hardened": hardened,
    "disruption_budgets": disruption_budgets,
    "secrets_by_reference": secrets_by_reference,
    "network_flows": network_flows,
    "references": references,
    "database_capacity": database_capacity,
    "images_pinned": images_pinned,
}
