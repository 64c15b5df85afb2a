"""Run a rendered container the way the kubelet would, on this machine against the test stack.

The command, args and environment come from the manifest (envFrom ConfigMaps, env values,
secretKeyRef from placeholder Secrets); nothing is set by name. What differs between a pod and
this machine is mapped by *value*, so a renamed setting still reaches the service renamed:
- in-cluster addresses (`nats://nats:4222`, the identity provider's origin) -> the test's;
- `0.0.0.0` -> the "pod IP": a loopback address of its own (127.x.y.z), where the container
  port is free, so the probes use the manifest's port number unchanged.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from k8s_manifests import Doc, Rendered

VENV_BIN = Path(sys.executable).parent


class StartFailed(AssertionError):
    """The container did not come up as its probes expect; the message carries its output."""


@dataclass
class Placeholders:
    """What the cluster would provide: Secrets' values and the addresses of this machine."""

    secrets: dict[str, dict[str, str]]
    addresses: dict[str, str]  # value prefix as written in the manifests -> this machine's
    pod_ip: str = field(default_factory=lambda: free_pod_ip(8000))


def free_pod_ip(port: int) -> str:
    """A loopback address (127.x.y.z) where `port` is free: the pod's own IP, as it were."""
    for _ in range(50):
        ip = f"127.{random.randint(100, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"
        with socket.socket() as probe:
            try:
                probe.bind((ip, port))
            except OSError:
                continue
            return ip
    raise RuntimeError(f"no loopback address with port {port} free")


def container_env(
    container: Doc, rendered: Rendered, secrets: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom first, env entries win."""
    configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in rendered.of_kind("ConfigMap")}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(configmaps[source["configMapRef"]["name"]])
        elif "secretRef" in source:
            env.update(secrets[source["secretRef"]["name"]])
        else:
            raise ValueError(f"unsupported envFrom {source}")
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
            continue
        ref = entry["valueFrom"]
        if "secretKeyRef" in ref:
            env[entry["name"]] = secrets[ref["secretKeyRef"]["name"]][ref["secretKeyRef"]["key"]]
        elif "configMapKeyRef" in ref:
            env[entry["name"]] = configmaps[ref["configMapKeyRef"]["name"]][ref["configMapKeyRef"]["key"]]
        else:
            raise ValueError(f"unsupported valueFrom {ref}")
    return env


def on_this_machine(env: Mapping[str, str], places: Placeholders, workdir: Path) -> dict[str, str]:
    """`env` with cluster addresses mapped to this machine's, plus what the image itself sets."""
    mapped: dict[str, str] = {}
    for name, value in env.items():
        for theirs, ours in places.addresses.items():
            if value.startswith(theirs):
                value = ours + value[len(theirs) :]
        mapped[name] = places.pod_ip if value == "0.0.0.0" else value
    image = {  # the image's ENV (deploy/docker/Dockerfile); the venv stands in for /opt/venv
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
    }
    return {**image, **mapped}


def run_to_completion(container: Doc, env: Mapping[str, str], workdir: Path, timeout: float = 300) -> str:
    """An init container: run it, return its output, raise StartFailed unless it exits 0."""
    argv = [*container.get("command", []), *container.get("args", [])]
    done = subprocess.run(
        argv, env=dict(env), cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise StartFailed(
            f"{container['name']}: {' '.join(argv)} exited {done.returncode}:\n{output[-4000:]}"
        )
    return output


@dataclass
class Running:
    process: subprocess.Popen[str]
    base_url: str
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


def http_port(container: Doc, probe: Doc) -> int:
    port = probe["httpGet"]["port"]
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise StartFailed(f"{container['name']}: probe port {port!r} is not a declared container port")


@contextmanager
def serving(container: Doc, env: Mapping[str, str], places: Placeholders, workdir: Path) -> Iterator[Running]:
    """Start a long-running container; stop it (SIGTERM, then SIGKILL) afterwards."""
    argv = [*container.get("command", []), *container.get("args", [])]
    log_path = workdir / f"{container['name']}.log"
    probe = container.get("readinessProbe") or container["livenessProbe"]
    base_url = f"http://{places.pod_ip}:{http_port(container, probe)}"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            argv,
            env=dict(env),
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        yield Running(process, base_url, log_path)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 3.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()
    except OSError:
        return 0, b""


def wait_for(running: Running, what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Bounded polling; fails early with the process's output when it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if running.process.poll() is not None:
            raise StartFailed(f"exited {running.process.returncode} before {what}:\n{running.output()}")
        time.sleep(0.2)
    raise StartFailed(f"not within {timeout:.0f} s: {what}\n{running.output()}")


def probe_paths(container: Doc) -> dict[str, str]:
    """{startupProbe: /healthz, ...} of a container's HTTP probes."""
    return {
        kind: container[kind]["httpGet"]["path"]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
        if kind in container and "httpGet" in container[kind]
    }


class JwksServer:
    """The identity provider as far as the services see it: a JWK set over HTTP on loopback."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        body = json.dumps(jwks).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
