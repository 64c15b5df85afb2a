"""The project's own manifest rules hold for every overlay, and each catches a broken copy."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable

import click
import pytest
from k8s_manifests import OVERLAYS, Doc, Rendered, containers, pod_spec, render_text
from k8s_policy import CHECKS, allowed, api_pods, postgres_pods, rendered_completely
from pydantic import AliasChoices
from uvicorn.main import main as uvicorn_cli


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_policy_holds(overlay: str, check: str, rendered: dict[str, Rendered]) -> None:
    assert CHECKS[check](rendered[overlay]) == []


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_no_template_placeholder_is_left(overlay: str) -> None:
    assert rendered_completely(render_text(OVERLAYS[overlay])) == []


def _copy(r: Rendered) -> Rendered:
    return Rendered(r.path, json.loads(json.dumps(r.docs)))


def _app(r: Rendered, name: str = "billing") -> Doc:
    (app,) = pod_spec(r.get("Deployment", name))["containers"]
    return app  # type: ignore[no-any-return]


def _drop_db_policy(r: Rendered) -> None:
    r.docs.remove(r.get("NetworkPolicy", "billing-postgres"))


def _open_db_policy(r: Rendered) -> None:
    rule = r.get("NetworkPolicy", "records-postgres")["spec"]["ingress"][0]
    rule["from"][0]["podSelector"]["matchLabels"] = {"app.kubernetes.io/component": "api"}


BREAKS: dict[str, tuple[str, Callable[[Rendered], None]]] = {
    "no readiness probe": ("probes", lambda r: _app(r).pop("readinessProbe")),
    "probe on an undeclared port": (
        "probes",
        lambda r: _app(r)["livenessProbe"]["httpGet"].update(port="web"),
    ),
    "no memory limit": ("resources", lambda r: _app(r)["resources"]["limits"].pop("memory")),
    "init container without requests": (
        "resources",
        lambda r: pod_spec(r.get("Deployment", "records"))["initContainers"][0].pop("resources"),
    ),
    "writable root fs": (
        "hardened",
        lambda r: _app(r)["securityContext"].update(readOnlyRootFilesystem=False),
    ),
    "root user allowed": (
        "hardened",
        lambda r: pod_spec(r.get("StatefulSet", "nats"))["securityContext"].pop("runAsNonRoot"),
    ),
    "no PDB": ("disruption_budgets", lambda r: r.docs.remove(r.get("PodDisruptionBudget", "records"))),
    "PDB blocks drains": (
        "disruption_budgets",
        lambda r: r.get("PodDisruptionBudget", "scheduling")["spec"].update(minAvailable=2),
    ),
    "literal database URL": (
        "secrets_by_reference",
        lambda r: _app(r)["env"].append(
            {"name": "BILLING_DATABASE_URL", "value": "postgresql://u:pw@db/billing"}
        ),
    ),
    "Secret in the manifests": (
        "secrets_by_reference",
        lambda r: r.docs.append(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "data": {}}
        ),
    ),
    "unknown Secret": (
        "secrets_by_reference",
        lambda r: _app(r)["env"][1]["valueFrom"]["secretKeyRef"].update(name="billing-db"),
    ),
    "database policy gone": ("network_flows", _drop_db_policy),
    "database open to every API": ("network_flows", _open_db_policy),
    "default deny gone": (
        "network_flows",
        lambda r: r.docs.remove(r.get("NetworkPolicy", "default-deny-ingress")),
    ),
    "HPA of a missing Deployment": (
        "references",
        lambda r: r.get("HorizontalPodAutoscaler", "billing")["spec"]["scaleTargetRef"].update(name="bill"),
    ),
    "Ingress to a missing port": (
        "references",
        lambda r: r.get("Ingress", "records")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"][
            "port"
        ].update(name="web"),
    ),
    "HPA beyond max_connections": (
        "database_capacity",
        lambda r: r.get("HorizontalPodAutoscaler", "scheduling")["spec"].update(maxReplicas=20),
    ),
    "more sync standbys than instances": (
        "database_capacity",
        lambda r: r.get("Cluster", "records-pg")["spec"].update(instances=1),
    ),
    "untagged image": ("images_pinned", lambda r: _app(r).update(image="registry.example.com/clinic/clinic")),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_policy_catches(case: str, production: Rendered) -> None:
    check, breaks = BREAKS[case]
    broken = _copy(production)
    breaks(broken)
    assert CHECKS[check](broken), case


def test_one_service_cannot_reach_anothers_database(production: Rendered) -> None:
    apis, dbs = api_pods(production), postgres_pods(production)
    assert allowed(production, apis["billing"], dbs["billing-pg"], 5432)
    assert not allowed(production, apis["billing"], dbs["records-pg"], 5432)


def _settings_names(package: str) -> set[str]:
    """Every environment variable the service's Settings read (pydantic-settings, case-insensitive)."""
    settings = importlib.import_module(f"{package}.config").Settings
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for field_name, info in settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(c).upper() for c in alias.choices}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


UVICORN_NAMES = {
    f"UVICORN_{p.name.upper()}" for p in uvicorn_cli.params if isinstance(p, click.Option) and p.name
} | {"FORWARDED_ALLOW_IPS"}  # read by uvicorn.config.Config from the environment


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_setting_the_manifests_pass_is_read(overlay: str, rendered: dict[str, Rendered]) -> None:
    """A renamed or misspelt variable would be silently ignored: each name must be a setting of
    the service (its Settings class) or of uvicorn."""
    r = rendered[overlay]
    configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in r.of_kind("ConfigMap")}
    unknown = []
    for dep in r.of_kind("Deployment"):
        (app,) = pod_spec(dep)["containers"]
        package = app["args"][0].split(".")[0]
        known = _settings_names(package) | UVICORN_NAMES
        for _, c in containers(dep):
            names = {e["name"] for e in c.get("env", [])}
            for source in c.get("envFrom", []):
                names |= set(configmaps[source["configMapRef"]["name"]])
            unknown += [
                f"{dep['metadata']['name']}/{c['name']}: {n}" for n in sorted(names) if n.upper() not in known
            ]
    assert unknown == []
