"""The manifests start the system: each service's rendered migration Job, then its Deployment's
init container (wait-migrated) and app container run with the manifest's command, args and
environment against the test stack's PostgreSQL and NATS, and the probes answer. Renaming a
setting or an entry point fails it, and a pod whose Job did not run never serves."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from k8s_launch import (
    JwksServer,
    Placeholders,
    StartFailed,
    container_env,
    get,
    on_this_machine,
    probe_paths,
    run_to_completion,
    serving,
    wait_for,
)
from k8s_manifests import SERVICES_DIR, Doc, Rendered, containers, pod_spec

from clinic_common.auth.dev import issue_dev_token, public_jwks

pytestmark = pytest.mark.integration

SERVICES = sorted(p.name for p in SERVICES_DIR.iterdir() if (p / "kustomization.yaml").exists())
NATS_CONNECT_SECONDS = 10.0


@dataclass
class Started:
    migrate_output: str
    probes: dict[str, int]
    authenticated_status: int
    metrics: str


def cluster_addresses(rendered: Rendered, nats_url: str, idp_origin: str) -> dict[str, str]:
    """In-cluster and production origins found in the ConfigMaps -> this machine's."""
    mapping: dict[str, str] = {}
    for configmap in rendered.of_kind("ConfigMap"):
        for value in configmap.get("data", {}).values():
            parts = urlsplit(value)
            if parts.scheme == "nats":
                mapping[f"nats://{parts.netloc}"] = nats_url
            elif parts.scheme == "https":
                mapping[f"https://{parts.netloc}"] = idp_origin
    return mapping


def operator_secrets(
    rendered: Rendered, workloads: list[Doc], database_url: str
) -> dict[str, dict[str, str]]:
    """The Secrets the pods read: CloudNativePG's `<cluster>-app` (its `uri`) -> the test database."""
    clusters = {c["metadata"]["name"] for c in rendered.of_kind("Cluster")}
    secrets: dict[str, dict[str, str]] = {}
    for _, container in (c for w in workloads for c in containers(w)):
        for entry in container.get("env", []):
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref is None:
                continue
            name = ref["name"]
            assert name.removesuffix("-app") in clusters, f"{name}: not a Secret the manifests provide"
            secrets[name] = {"uri": database_url}
    return secrets


def start_from_manifest(
    rendered: Rendered,
    name: str,
    *,
    database_url: str,
    nats: Any,
    dev_keys: tuple[Path, Path],
    workdir: Path,
    run_job: bool = True,
) -> Started:
    deployment = rendered.get("Deployment", name)
    job = rendered.get("Job", f"{name}-migrate")
    spec = pod_spec(deployment)
    with JwksServer(public_jwks(dev_keys[1])) as idp:
        places = Placeholders(
            secrets=operator_secrets(rendered, [job, deployment], database_url),
            addresses=cluster_addresses(rendered, nats.url, idp.origin),
        )

        def env_of(container: Doc) -> dict[str, str]:
            return on_this_machine(container_env(container, rendered, places.secrets), places, workdir)

        jobs = pod_spec(job)["containers"] if run_job else []
        migrate_output = "".join(run_to_completion(c, env_of(c), workdir) for c in jobs)
        for init in spec.get("initContainers", []):
            run_to_completion(init, env_of(init), workdir)
        (app,) = spec["containers"]
        env = env_of(app)
        with serving(app, env, places, workdir) as running:
            budget = app["startupProbe"]["periodSeconds"] * app["startupProbe"]["failureThreshold"]
            statuses: dict[str, int] = {}
            for kind, path in probe_paths(app).items():

                def answers(path: str = path, kind: str = kind) -> bool:
                    statuses[kind] = get(running.base_url + path)[0]
                    return statuses[kind] == 200

                wait_for(running, f"{kind} {path} answers 200", answers, timeout=budget)

            def connected_here() -> bool:
                status, body = get(f"{nats.monitor_url}/connz")
                return status == 200 and any(c.get("name") for c in json.loads(body).get("connections", []))

            wait_for(
                running, f"a connection to the test NATS ({nats.url})", connected_here, NATS_CONNECT_SECONDS
            )
            # A token from "the identity provider" (issuer as configured, key served as its JWKS).
            token = issue_dev_token(
                dev_keys[0], role="admin", org=None, issuer=env.get("CLINIC_JWT_ISSUER", "")
            )
            status, _ = get(f"{running.base_url}/v1/admin/dead-letters", {"Authorization": f"Bearer {token}"})
            metrics_status, metrics = get(f"{running.base_url}/metrics")
            assert metrics_status == 200
            return Started(migrate_output, statuses, status, metrics.decode())


@pytest.fixture
def start(
    production: Rendered,
    database_factory: Any,
    nats_factory: Any,
    dev_keys: tuple[Path, Path],
    tmp_path: Path,
) -> Callable[..., Started]:
    def run(name: str, rendered: Rendered = production, run_job: bool = True) -> Started:
        return start_from_manifest(
            rendered,
            name,
            run_job=run_job,
            database_url=database_factory.empty_database(),
            nats=nats_factory(),
            dev_keys=dev_keys,
            workdir=tmp_path,
        )

    return run


def exposed_metric_names(text: str) -> set[str]:
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            names.add(name)
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def alerted_service_metrics(rendered: Rendered) -> set[str]:
    """Metric names the PrometheusRule reads from the services (their selector names part-of)."""
    exprs = [
        str(r["expr"])
        for rule in rendered.of_kind("PrometheusRule")
        for g in rule["spec"]["groups"]
        for r in g["rules"]
    ]
    found = {
        m
        for e in exprs
        for m in re.findall(r'([a-zA-Z_:][a-zA-Z0-9_:]*)\{app_kubernetes_io_part_of="clinic"', e)
    }
    return found - {"up"}  # `up` is Prometheus' own


@pytest.mark.parametrize("name", SERVICES)
def test_each_deployment_starts_from_its_manifest(
    name: str, start: Callable[..., Started], production: Rendered
) -> None:
    started = start(name)
    assert "Running upgrade" in started.migrate_output  # a fresh database, migrated by the Job
    assert set(started.probes.values()) == {200}, started.probes
    assert started.authenticated_status == 200  # issuer, audience and JWKS settings reach the verifier
    missing = alerted_service_metrics(production) - exposed_metric_names(started.metrics)
    assert not missing, f"alert rules read metrics {name} does not expose: {sorted(missing)}"


def _renamed_config_key(rendered: Rendered, old: str, new: str) -> Rendered:
    changed = Rendered(rendered.path, json.loads(json.dumps(rendered.docs)))
    data = changed.configmap("clinic-config")["data"]
    data[new] = data.pop(old)
    return changed


@pytest.mark.parametrize(
    ("key", "failure"),
    [
        # production refuses to start without a key source
        ("CLINIC_JWT_JWKS_URL", r"exited .* before startupProbe"),
        # the default (127.0.0.1:4222) may well answer on a developer's machine: the service must
        # be connected to the NATS the manifest names, not merely to some NATS
        ("CLINIC_NATS_URL", "a connection to the test NATS"),
    ],
)
def test_a_renamed_setting_in_the_configmap_fails_the_start(
    key: str, failure: str, start: Callable[..., Started], production: Rendered
) -> None:
    with pytest.raises(StartFailed, match=failure):
        start("scheduling", _renamed_config_key(production, key, key.replace("_URL", "_URI")))


def _copy(rendered: Rendered) -> Rendered:
    return Rendered(rendered.path, json.loads(json.dumps(rendered.docs)))


def test_a_wrong_app_entry_point_fails_the_start(start: Callable[..., Started], production: Rendered) -> None:
    changed = _copy(production)
    (app,) = pod_spec(changed.get("Deployment", "scheduling"))["containers"]
    app["args"][0] = "scheduling.main:make_app"
    with pytest.raises(StartFailed, match="exited"):
        start("scheduling", changed)


def test_a_wrong_migration_entry_point_fails_the_job(
    start: Callable[..., Started], production: Rendered
) -> None:
    changed = _copy(production)
    (migrate,) = pod_spec(changed.get("Job", "scheduling-migrate"))["containers"]
    migrate["command"][2] = "scheduling.migrations"
    with pytest.raises(StartFailed, match=r"migrate: .* exited"):
        start("scheduling", changed)


def test_a_new_pod_does_not_serve_before_the_migration_job(
    start: Callable[..., Started], production: Rendered
) -> None:
    """Rollout order: without the Job, the Deployment's init container waits and gives up (its
    timeout shortened from the manifest's 1800 s); the app container never starts."""
    changed = _copy(production)
    (wait,) = pod_spec(changed.get("Deployment", "scheduling"))["initContainers"]
    assert wait["command"][-2:] == ["--timeout", "1800"]
    wait["command"][-1] = "3"
    with pytest.raises(StartFailed, match=r"wait-migrated: .* exited 1"):
        start("scheduling", changed, run_job=False)
