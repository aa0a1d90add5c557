"""The Argo Rollouts and Flagger examples: valid against the projects' published CRD schemas,
pointing at paths the canary server serves, with arguments the server and the judge accept; and
the server installed the way the container image installs it (the Dockerfile's `uv sync`, not
editable, deploy extra) answering over HTTP against a real Prometheus.

The image itself is not built here: the Dockerfile's base image comes from a container
registry this machine cannot reach. What the image runs (`cicd-agent-canary-server` from the
locked install) is what the last test starts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml

from cicd_agent.modes.deploy_gate.serve import parse
from tests.harness.payloads import REPO_ROOT
from tests.harness.prometheus_server import PrometheusServer, free_port
from tests.modes.deploy_gate.helpers.canary import scenario_config
from tests.modes.deploy_gate.helpers.canary_server import AUTH, TOKEN

EXAMPLES = REPO_ROOT / "examples"
CRDS = REPO_ROOT / "tests" / "fixtures" / "crds"
SCHEMAS = {
    ("argoproj.io/v1alpha1", "AnalysisTemplate"): "argo-rollouts-analysistemplate-v1alpha1.json",
    ("argoproj.io/v1alpha1", "Rollout"): "argo-rollouts-rollout-v1alpha1.json",
    ("flagger.app/v1beta1", "Canary"): "flagger-canary-v1beta1.json",
}
SERVED = {"/verdict", "/flagger/confirm-promotion", "/flagger/rollback", "/healthz"}


def _documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted([*EXAMPLES.glob("argo-rollouts/*.yaml"), *EXAMPLES.glob("flagger/*.yaml")]):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found.append((f"{path.parent.name}/{path.name}:{document['kind']}", document))
    return found


DOCUMENTS = _documents()


def _custom(kind: str) -> list[dict[str, Any]]:
    return [document for _, document in DOCUMENTS if document["kind"] == kind]


@pytest.mark.parametrize(
    "document",
    [d for _, d in DOCUMENTS if (d["apiVersion"], d["kind"]) in SCHEMAS],
    ids=[n for n, d in DOCUMENTS if (d["apiVersion"], d["kind"]) in SCHEMAS],
)
def test_each_custom_resource_is_valid_against_its_published_crd(document: dict[str, Any]) -> None:
    schema = json.loads((CRDS / SCHEMAS[document["apiVersion"], document["kind"]]).read_text())
    jsonschema.Draft7Validator(schema).validate(document)


def test_the_crd_schemas_are_not_schemas_that_accept_everything() -> None:
    template = _custom("AnalysisTemplate")[0]
    broken = json.loads(json.dumps(template))
    del broken["spec"]["metrics"][0]["provider"]
    schema = json.loads((CRDS / SCHEMAS["argoproj.io/v1alpha1", "AnalysisTemplate"]).read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)
    canary = json.loads(json.dumps(_custom("Canary")[0]))
    del canary["spec"]["targetRef"]
    schema = json.loads((CRDS / SCHEMAS["flagger.app/v1beta1", "Canary"]).read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(canary)


def test_argo_reads_promote_as_success_rollback_as_failure_and_continue_as_neither() -> None:
    (metric,) = _custom("AnalysisTemplate")[0]["spec"]["metrics"]
    assert metric["successCondition"] == 'result == "promote"'
    assert metric["failureCondition"] == 'result == "rollback"'
    assert metric["provider"]["web"]["jsonPath"] == "{$.verdict}"
    # continue is Inconclusive: tolerated for every measurement but the last, never a failure
    assert metric["failureLimit"] == 0 and metric["inconclusiveLimit"] == metric["count"] - 1
    assert metric["consecutiveSuccessLimit"] == 1
    assert re.sub(r"\?.*", "", metric["provider"]["web"]["url"]).endswith("/verdict")


def test_flagger_hooks_call_paths_the_server_serves() -> None:
    hooks = {
        hook["type"]: hook["url"] for hook in _custom("Canary")[0]["spec"]["analysis"]["webhooks"]
    }
    assert set(hooks) == {"confirm-promotion", "rollback"}
    assert hooks["confirm-promotion"].endswith("/flagger/confirm-promotion")
    assert hooks["rollback"].endswith("/flagger/rollback")


def test_the_server_deployment_runs_arguments_the_server_and_the_judge_accept() -> None:
    from cicd_agent.plugins import build_parser

    (deployment,) = _custom("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["cicd-agent-canary-server"]
    _, judge = parse(container["args"])
    build_parser("deploy-gate").parse_args(["deploy-gate", "--phase", "canary", *judge])
    assert container["readinessProbe"]["httpGet"]["path"] in SERVED
    from cicd_agent.modes.deploy_gate.canary.config import load_canary_config

    (config_map,) = _custom("ConfigMap")
    config = load_canary_config(config_map["data"]["canary.yml"])
    assert (config.baseline_track, config.canary_track) == ("stable", "canary")
    # Each metric says what it is, and Argo asks no more often than the judge's call budget.
    assert [spec.kind for spec in config.metrics] == ["rate", "latency"]
    # The variant for another store names it once, with the kinds and the secret's variable.
    web = load_canary_config(config_map["data"]["canary-web.yml"])
    assert web.source is not None and web.source.type == "web"
    assert web.source.secrets == {"token": "METRICS_TOKEN"}
    assert [spec.kind for spec in web.metrics] == ["rate", "latency"]
    assert web.thresholds.max_calls == config.thresholds.max_calls
    datadog = load_canary_config(config_map["data"]["canary-datadog.yml"])
    assert datadog.source is not None and datadog.source.type == "datadog"
    assert [spec.kind for spec in datadog.metrics] == ["rate", "latency"]
    (metric,) = _custom("AnalysisTemplate")[0]["spec"]["metrics"]
    assert metric["count"] == config.thresholds.max_calls


def test_every_call_to_the_server_carries_the_token_from_a_secret() -> None:
    """The server reads its token from a Secret through the environment (never an argument,
    which `ps` shows); Argo's web metric sends it as a header whose value comes from a Secret;
    Flagger, whose hooks carry no headers, sends it in `metadata`, substituted when applied."""
    (deployment,) = _custom("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    assert env["CICD_AGENT_CANARY_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "token"
    assert not any("token" in arg.lower() for arg in container["args"])
    template = _custom("AnalysisTemplate")[0]["spec"]
    (metric,) = template["metrics"]
    headers = {h["key"]: h["value"] for h in metric["provider"]["web"]["headers"]}
    arg = re.fullmatch(r"Bearer \{\{args\.([\w-]+)\}\}", headers["Authorization"])
    assert arg, headers
    (source,) = [a for a in template["args"] if a["name"] == arg.group(1)]
    assert set(source) == {"name", "valueFrom"} and "secretKeyRef" in source["valueFrom"]
    for hook in _custom("Canary")[0]["spec"]["analysis"]["webhooks"]:
        assert hook["metadata"]["token"] == "${CICD_AGENT_CANARY_TOKEN}"


def test_a_network_policy_admits_only_the_rollout_controller_to_the_server() -> None:
    """One NetworkPolicy per tool, selecting the server's pods, whose only way in is from the
    controller's own pods in the controller's own namespace (both selectors in one peer, so
    both must match), on the server's port: the canary pod cannot reach the judge."""
    (deployment,) = _custom("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    controllers = {}
    for policy in _custom("NetworkPolicy"):
        spec = policy["spec"]
        assert spec["podSelector"]["matchLabels"].items() <= labels.items()
        assert spec["policyTypes"] == ["Ingress"]
        (rule,) = spec["ingress"]
        assert rule["ports"] == [{"port": "http"}]
        (peer,) = rule["from"]
        assert set(peer) == {"namespaceSelector", "podSelector"}
        namespace = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        assert namespace == policy["metadata"]["namespace"]
        controllers[namespace] = peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
    assert controllers == {"argo-rollouts": "argo-rollouts", "flagger-system": "flagger"}


def _install_like_the_image(target: Path) -> Path:
    """The Dockerfile's install of the project: `uv sync --frozen --no-dev --no-editable
    --extra deploy` from the lock, into a fresh environment; its bin folder."""
    uv = REPO_ROOT / ".harness" / "uv" / "bin" / "uv"
    if not uv.exists():
        pytest.fail("no pinned uv: run `EXTRAS=dev bash install/install.sh` first", pytrace=False)
    source = target / "src"
    shutil.copytree(REPO_ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy2(REPO_ROOT / name, source / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env |= {
        "UV_PROJECT_ENVIRONMENT": str(target / "env"),
        "UV_CACHE_DIR": str(REPO_ROOT / ".harness" / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    subprocess.run(
        [str(uv), "sync", "--frozen", "--no-config", "--no-dev", "--no-editable", "--extra",
         "deploy", "--quiet", "--python", os.environ.get("PYTHON", shutil.which("python3") or "python3")],
        cwd=source, env=env, check=True, timeout=600,
    )  # fmt: skip
    return target / "env" / "bin"


def test_the_image_install_serves_the_judge_over_http(
    tmp_path: Path, prometheus_server: PrometheusServer
) -> None:
    bin_dir = _install_like_the_image(tmp_path)
    port = free_port()
    args = [
        str(bin_dir / "cicd-agent-canary-server"), f"--listen=127.0.0.1:{port}", "--",
        "--provider=none", f"--prometheus-url={prometheus_server.url}",
        f"--canary-config={scenario_config('latency_up30').model_dump_json(exclude_defaults=True)}",
        f"--canary-end={prometheus_server.end}",
    ]  # fmt: skip
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "CICD_AGENT_CANARY_TOKEN": TOKEN}
    env["INPUT_PROMETHEUS-USERNAME"] = prometheus_server.username  # a setting, not an input
    env["CICD_AGENT_INPUTS"] = json.dumps({"prometheus-password": prometheus_server.password})
    server = subprocess.Popen(args, env=env, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        unauthenticated = requests.get(f"{base}/verdict", timeout=60)
        verdict = requests.get(
            f"{base}/verdict", params={"release": "shop/web"}, headers=AUTH, timeout=120
        )
        hook = {"name": "web", "namespace": "shop", "metadata": {"token": TOKEN}}
        rollback = requests.post(f"{base}/flagger/rollback", json=hook, timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert unauthenticated.status_code == 401
    assert verdict.json()["verdict"] == "rollback"
    assert rollback.status_code == 200
