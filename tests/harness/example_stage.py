"""The stage the example workflows are played on: a runner, GitHub, a model, and a record.

:class:`Stage` plays one example workflow for one event: it evaluates the workflow with GitHub's
expression engine (``workflows.simulate``), runs each cicd-agent step whose conditions hold
through ``action.yml`` (:class:`~tests.harness.action_runner.ActionRunner`) with the runner's
environment, against the validating GitHub mock with a token narrowed to the job's
``permissions:`` and the local model server, and passes artifacts between workflows. The event
builders move real webhook examples onto real repositories the tests build.

The examples use the action's defaults for the model endpoint, as a user would; the runner's
``OPENAI_BASE_URL`` points the SDK at the local server (the model layer falls back to it when no
``base-url`` is given), and ``GITHUB_API_URL`` points PyGithub at the mock, as on GitHub
Enterprise Server. The token reaches the action only through its ``github-token`` input default
(``${{ github.token }}``): the runner does not export ``GITHUB_TOKEN``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from tests.harness import payloads
from tests.harness.action_runner import ActionRun, ActionRunner
from tests.harness.github_mock import REPO, TOKEN, GitHubApi
from tests.harness.model_server import TEST_API_KEY, ModelServer
from tests.harness.prometheus_server import PrometheusServer
from tests.harness.token_permissions import denied, forbidden_routes
from tests.harness.workflows import (
    AgentStep,
    JobOutcome,
    OtherStep,
    StepRun,
    Workflow,
    runner_environment,
    simulate,
    workflow_call_inputs,
)
from tests.helpers.gen_tests import path_env

PROMETHEUS_TOKEN = "prom-bearer-test-token-4e1d"
SECRETS = {"OPENAI_API_KEY": TEST_API_KEY, "PROMETHEUS_TOKEN": PROMETHEUS_TOKEN,
           "KUBECONFIG": "apiVersion: v1\nkind: Config\n"}
"""The repository secrets the examples read, as the tests set them."""
PR_NUMBER = 2
VENV_BIN = str(Path(sys.executable).parent)


@dataclass
class StepRecord:
    """One cicd-agent step as it ran: its inputs, what the runner saw, what it asked GitHub."""

    step: AgentStep
    inputs: dict[str, str]
    run: ActionRun
    requests: list[tuple[str, str]]
    refused: list[str]
    """Requests the job's ``permissions:`` would not allow (answered 403, as GitHub would)."""


@dataclass
class Played:
    workflow: Workflow
    jobs: dict[str, JobOutcome]
    steps: list[StepRecord] = field(default_factory=list)

    def step(self, job_id: str) -> StepRecord:
        (record,) = [r for r in self.steps if r.step.job_id == job_id]
        return record

    def ran(self) -> set[str]:
        return {job for job, outcome in self.jobs.items() if outcome.result != "skipped"}

    def assert_least_privilege_suffices(self) -> None:
        """Every request each step made was one its job's token may make."""
        refused = {f"{r.step.job_id}": r.refused for r in self.steps if r.refused}
        assert not refused, f"{self.workflow.path.name}: the jobs' tokens would refuse {refused}"


@dataclass
class Stage:
    runner: ActionRunner
    github: GitHubApi
    model: ModelServer
    tmp_path: Path
    artifacts: dict[str, Path] = field(default_factory=dict)
    """Artifacts uploaded by the workflows played so far, by name (as the run would keep them)."""
    plays: list[Played] = field(default_factory=list)

    def play(
        self,
        name: str,
        *,
        event_name: str,
        payload: dict[str, Any],
        workspace: Path,
        sha: str,
        ref: str,
        vars: dict[str, str] | None = None,
        inputs: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
        replay: dict[str, StepRun] | None = None,
        caller_permissions: dict[str, str] | None = None,
        other_step: OtherStep | None = None,
    ) -> Played:
        """Run workflow ``name`` for this event; ``replay`` gives steps' results by job instead
        of running them again (a later scenario of the same push). A job without ``permissions:``
        of its own (a reusable workflow's) runs with ``caller_permissions``, the calling job's.
        ``other_step`` is called for every step that is not cicd-agent's, after the artifacts'."""
        workflow = Workflow.load(name)
        _assert_triggers(workflow, event_name, payload)
        event_path = payloads.write_event(self.tmp_path, payload, f"{workflow.path.stem}.json")
        pull = payload.get("pull_request") or {}
        github = {
            "event": payload,
            "event_name": event_name,
            "token": TOKEN,
            "repository": REPO,
            "sha": sha,
            "ref": ref,
            "workspace": str(workspace),
            "run_id": "7100000001",
        }
        contexts = {
            "github": github,
            "secrets": SECRETS if secrets is None else secrets,
            "vars": vars or {},
            "runner": {"temp": str(self.runner.runner_temp), "os": "Linux"},
            "inputs": workflow_call_inputs(workflow, inputs or {}),
        }
        played = Played(workflow, {})
        self.plays.append(played)

        def run_agent(step: AgentStep, given: dict[str, str]) -> StepRun:
            if replay and step.job_id in replay:
                return replay[step.job_id]
            env = {
                **runner_environment(
                    workflow, step.job_id, event_name=event_name, repository=REPO, sha=sha,
                    ref=ref, head_ref=pull.get("head", {}).get("ref", ""),
                    base_ref=pull.get("base", {}).get("ref", ""),
                ),
                "GITHUB_API_URL": self.github.base_url,
                "CICD_AGENT_GITHUB_WRITE_INTERVAL": "0",
                "CICD_AGENT_GITHUB_MAX_WAIT": "0",
                "OPENAI_BASE_URL": self.model.base_url,
                # The runner's python3 with pytest (the workflows' setup-python step) comes first.
                "PATH": path_env(),
                "LANG": "C.UTF-8",
            }  # fmt: skip
            if "TIKTOKEN_CACHE_DIR" in os.environ:  # the runner would download the encodings
                env["TIKTOKEN_CACHE_DIR"] = os.environ["TIKTOKEN_CACHE_DIR"]
            permissions = workflow.jobs[step.job_id].get("permissions", caller_permissions)
            assert permissions is not None, f"{step.job_id}: no permissions: and no caller's given"
            before = len(self.github.proxy.requests)
            with self.token_limited_to(permissions):
                run = self.runner.run(
                    given, workspace=workspace, event_name=event_name, event_path=event_path,
                    env=env, github_token=TOKEN,
                )  # fmt: skip
            sent = [(r.method, r.api_path) for r in self.github.proxy.requests[before:]]
            # Whatever the CLI writes must be an output of the action, or no workflow can read it.
            undeclared = set(run.step_outputs.get("run", {})) - set(run.outputs)
            assert not undeclared, f"outputs action.yml does not declare: {sorted(undeclared)}"
            played.steps.append(
                StepRecord(step, given, run, sent, [str(d) for d in denied(permissions, sent)])
            )
            return StepRun(run.outputs, run.exit_code)

        artifacts = self.artifact_steps(workspace)

        def others(job_id: str, step: dict[str, Any], rendered: dict[str, str]) -> None:
            artifacts(job_id, step, rendered)
            if other_step is not None:
                other_step(job_id, step, rendered)

        played.jobs = simulate(workflow, contexts, run_agent, others)
        return played

    def artifact_steps(self, workspace: Path) -> OtherStep:
        """upload-artifact and download-artifact, between the workflows of one test."""

        def handle(job_id: str, step: dict[str, Any], rendered: dict[str, str]) -> None:
            action = str(step.get("uses", "")).split("@")[0]
            if action == "actions/upload-artifact":
                path = workspace / rendered["with.path"]  # an absolute path stays absolute
                assert path.is_file(), f"{job_id}: upload-artifact finds no file at {path}"
                self.artifacts[rendered["with.name"]] = path
            elif action == "actions/download-artifact":
                name = rendered["with.name"]
                assert name in self.artifacts, f"{job_id}: no artifact {name!r} was uploaded"
                target = Path(rendered["with.path"])
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.artifacts[name], target / self.artifacts[name].name)

        return handle

    @contextmanager
    def token_limited_to(self, permissions: dict[str, str]) -> Iterator[None]:
        """While a step runs, GitHub refuses (403) what the job's token could not do."""
        rules = [
            self.github.proxy.fail(
                method, pattern, 403, "Resource not accessible by integration", times=None
            )
            for method, pattern in forbidden_routes(permissions)
        ]
        try:
            yield
        finally:
            for rule in rules:  # retire the rules: a later job has its own token
                rule.times = rule.used


def _assert_triggers(workflow: Workflow, event_name: str, payload: dict[str, Any]) -> None:
    """The event is one the workflow's ``on:`` accepts (types, branches, workflows); a reusable
    workflow runs in its caller's event."""
    if "workflow_call" in workflow.triggers:
        return
    assert event_name in workflow.triggers, f"{workflow.path.name} is not triggered by {event_name}"
    spec = workflow.triggers[event_name] or {}
    if "types" in spec:
        assert payload["action"] in spec["types"], payload["action"]
    if "branches" in spec:
        assert payload["ref"].removeprefix("refs/heads/") in spec["branches"]
    if "workflows" in spec:
        assert payload["workflow_run"]["name"] in spec["workflows"]


def rehome(payload: dict[str, Any]) -> dict[str, Any]:
    """A webhook example moved to the mock's repository (its owner, names and URLs)."""
    moved: dict[str, Any] = json.loads(
        json.dumps(payload).replace("Codertocat", REPO.split("/")[0])
    )
    return moved


def checkout(source: Path, dest: Path, sha: str) -> Path:
    """What actions/checkout with ``fetch-depth: 0`` leaves: a full clone, HEAD at ``sha``."""
    if dest.exists():  # a later job of the same run checks out the same commit
        return dest
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(source), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", "--detach", sha], check=True)
    return dest


def merge_checkout(source: Path, dest: Path, base: str, head: str) -> tuple[Path, str]:
    """A pull_request checkout: the merge of head into base (``refs/pull/N/merge``), detached."""
    checkout(source, dest, base)
    env = {**os.environ, "GIT_AUTHOR_NAME": "GitHub", "GIT_AUTHOR_EMAIL": "noreply@github.com",
           "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}  # fmt: skip
    subprocess.run(
        ["git", "-C", str(dest), "merge", "-q", "--no-ff", "-m", f"Merge {head} into {base}", head],
        check=True, env=env,
    )  # fmt: skip
    merge = subprocess.run(
        ["git", "-C", str(dest), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    return dest, merge


def pull_request_event(base: str, head: str, *, action: str = "opened") -> dict[str, Any]:
    payload = rehome(payloads.example("pull_request", action))
    pr = payload["pull_request"]
    pr.update(number=PR_NUMBER, draft=False, state="open")
    pr["base"].update(sha=base, ref="main")
    pr["head"].update(sha=head, ref="feature/pricing")
    payload["number"] = PR_NUMBER
    return payload


def push_event(before: str, after: str) -> dict[str, Any]:
    payload = rehome(next(p for p in payloads.examples("push") if p["commits"]))
    payload.update(ref="refs/heads/main", before=before, after=after, created=False)
    payload["head_commit"]["id"] = after
    payload["commits"][-1]["id"] = after
    return payload


class BearerGateway:
    """Prometheus behind an auth proxy that takes a bearer token, as hosted Prometheus APIs do.

    The Debian Prometheus only knows basic auth; deploy.yml sends ``prometheus-token``. The
    gateway refuses any request without the token and forwards the rest with basic auth.
    """

    def __init__(self, upstream: PrometheusServer, token: str) -> None:
        self.authorized = 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {token}":
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                gateway.authorized += 1
                answer = requests.get(
                    upstream.url + self.path, auth=(upstream.username, upstream.password),
                    timeout=30,
                )  # fmt: skip
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
