"""Every example workflow, run end to end the way GitHub would run it.

For each example the test builds the event its trigger delivers (a real ``@octokit/webhooks-examples``
payload moved onto a real git repository built here, so every SHA exists), evaluates the workflow
with GitHub's own expression engine (``tests/harness/workflows.py``), and runs each cicd-agent
step whose job and step conditions hold through ``action.yml`` (``ActionRunner``: real composite
steps, real output files) against the validating GitHub mock, the local model server and a real
Prometheus. It then asserts what later jobs read: the step outputs, the job outputs, which jobs
and steps would run, and that the job's ``permissions:`` allowed every request the step made.

The examples use the action's defaults for the model endpoint, as a user would; the runner's
``OPENAI_BASE_URL`` points the SDK at the local server (the model layer falls back to it when no
``base-url`` is given), and ``GITHUB_API_URL`` points PyGithub at the mock, as on GitHub
Enterprise Server. The token reaches the action only through its ``github-token`` input default
(``${{ github.token }}``): the runner does not export ``GITHUB_TOKEN``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from cicd_agent.analysis.review_verdict import ModelFinding, ReviewAnswer
from tests.fixtures.gentests_project.build import make_repo
from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.harness.action_runner import ActionRun, ActionRunner
from tests.harness.github_mock import REPO, TOKEN, GitHubApi
from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest
from tests.harness.prometheus_server import PrometheusServer, free_port
from tests.harness.token_permissions import denied
from tests.harness.workflows import (
    AgentStep,
    JobOutcome,
    StepRun,
    Workflow,
    runner_environment,
    simulate,
    workflow_call_outputs,
)
from tests.test_action_e2e import shared_runner

pytestmark = pytest.mark.slow

PROMETHEUS_TOKEN = "prom-bearer-test-token-4e1d"
SECRETS = {"OPENAI_API_KEY": TEST_API_KEY, "PROMETHEUS_TOKEN": PROMETHEUS_TOKEN}
PR_NUMBER = 2
REPO_API = f"/repos/{REPO}"
VENV_BIN = str(Path(sys.executable).parent)


# --- the stage: a runner, GitHub, a model, and the record of every step run ----------------


@dataclass
class StepRecord:
    """One cicd-agent step as it ran: its inputs, what the runner saw, what it asked GitHub."""

    step: AgentStep
    inputs: dict[str, str]
    run: ActionRun
    requests: list[tuple[str, str]]


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


@dataclass
class Stage:
    runner: ActionRunner
    github: GitHubApi
    model: ModelServer
    tmp_path: Path

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
        path: str | None = None,
        replay: dict[str, StepRun] | None = None,
    ) -> Played:
        """Run workflow ``name`` for this event; ``replay`` gives steps' results by job instead
        of running them again (a later scenario of the same push)."""
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
            "inputs": inputs or {},
        }
        played = Played(workflow, {})

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
                "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
                "LANG": "C.UTF-8",
            }  # fmt: skip
            if "TIKTOKEN_CACHE_DIR" in os.environ:  # the runner would download the encodings
                env["TIKTOKEN_CACHE_DIR"] = os.environ["TIKTOKEN_CACHE_DIR"]
            before = len(self.github.proxy.requests)
            run = self.runner.run(
                given, workspace=workspace, event_name=event_name, event_path=event_path,
                env=env, github_token=TOKEN,
            )  # fmt: skip
            sent = [(r.method, r.api_path) for r in self.github.proxy.requests[before:]]
            played.steps.append(StepRecord(step, given, run, sent))
            return StepRun(run.outputs, run.exit_code)

        played.jobs = simulate(workflow, contexts, run_agent)
        for record in played.steps:
            permissions = workflow.jobs[record.step.job_id]["permissions"]
            refused = denied(permissions, record.requests)
            assert not refused, (
                f"{name} job {record.step.job_id!r} would be refused: {[str(d) for d in refused]}"
            )
        return played


def _assert_triggers(workflow: Workflow, event_name: str, payload: dict[str, Any]) -> None:
    """The event is one the workflow's ``on:`` accepts (types, branches, workflows)."""
    assert event_name in workflow.triggers, f"{workflow.path.name} is not triggered by {event_name}"
    spec = workflow.triggers[event_name] or {}
    if "types" in spec:
        assert payload["action"] in spec["types"], payload["action"]
    if "branches" in spec:
        assert payload["ref"].removeprefix("refs/heads/") in spec["branches"]
    if "workflows" in spec:
        assert payload["workflow_run"]["name"] in spec["workflows"]


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> ActionRunner:
    return shared_runner(tmp_path_factory)


@pytest.fixture
def stage(
    runner: ActionRunner, github_api: GitHubApi, model_server: ModelServer, tmp_path: Path
) -> Stage:
    return Stage(runner, github_api, model_server, tmp_path)


# --- events on real repositories -----------------------------------------------------------


def rehome(payload: dict[str, Any]) -> dict[str, Any]:
    """A webhook example moved to the mock's repository (its owner, names and URLs)."""
    return json.loads(json.dumps(payload).replace("Codertocat", REPO.split("/")[0]))


def checkout(source: Path, dest: Path, sha: str) -> Path:
    """What actions/checkout with ``fetch-depth: 0`` leaves: a full clone, HEAD at ``sha``."""
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


# --- pr-review.yml ----------------------------------------------------------------------------

PRICING_TESTS = {
    "bulk_discount": (
        "import pytest\nfrom shop.pricing import bulk_discount\n\n\n"
        "@pytest.mark.parametrize(('quantity', 'total'), "
        "[(1, 10.0), (10, 95.0), (50, 450.0), (100, 850.0)])\n"
        "def test_rates_by_quantity(quantity, total):\n"
        "    assert bulk_discount(quantity, 10.0) == total\n\n\n"
        "def test_negative_quantity_is_rejected():\n"
        "    with pytest.raises(ValueError):\n        bulk_discount(-1, 10.0)\n"
    ),
    "shipping_cost": (
        "from shop.pricing import shipping_cost\n\n\n"
        "def test_light_parcel():\n    assert shipping_cost(1.0) == 4.9\n\n\n"
        "def test_heavy_express_parcel():\n    assert shipping_cost(4.0, express=True) == 15.8\n"
    ),
    "coupon_value": (
        "from shop.pricing import coupon_value\n\n\n"
        "def test_save10_in_any_case():\n    assert coupon_value('save10') == 10\n\n\n"
        "def test_unknown_code():\n    assert coupon_value('FREEBIE') == 0\n"
    ),
}


def generated_test(request: RecordedRequest) -> dict[str, str]:
    """A model that writes a correct test for the function the prompt asks about."""
    user = request.text("user")
    asked = [name for name in PRICING_TESTS if f"def {name}(" in user]
    assert len(asked) == 1, f"expected one target function in the prompt, found {asked}"
    return {"test_module": PRICING_TESTS[asked[0]], "rationale": f"covers {asked[0]}"}


def review_answer(line: int) -> ReviewAnswer:
    finding = ModelFinding(
        path="src/shop/pricing.py", line=line, start_line=None, severity="high",
        category="correctness", title="Rounding before the discount loses cents",
        body="Round once, after applying the rate.", replacement=None, confidence=0.8,
    )  # fmt: skip
    return ReviewAnswer(summary="Adds bulk pricing.", verdict="request_changes", findings=[finding])


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_pr_review_reviews_gates_uploads_sarif_and_proposes_tests(
    stage: Stage, tmp_path: Path
) -> None:
    source = tmp_path / "shop"
    base, head = make_repo(source)
    workspace, merge = merge_checkout(source, tmp_path / "workspace", base, head)
    line = line_of(workspace / "src/shop/pricing.py", "return round(total * (1 - rate), 2)")
    stage.model.answer(review_answer(line))
    stage.model.answer_with(generated_test, times=len(PRICING_TESTS))

    played = stage.play(
        "pr-review.yml", event_name="pull_request", payload=pull_request_event(base, head),
        workspace=workspace, sha=merge, ref=f"refs/pull/{PR_NUMBER}/merge",
    )  # fmt: skip

    # review: the model's high finding meets fail-on: high, so the step fails the job ...
    review = played.step("review").run
    assert review.exit_code == 1, review.log
    assert review.outputs["decision"] == "comment"  # request-changes is off by default
    assert review.outputs["high_count"] == "1"
    assert played.jobs["review"].result == "failure"
    # ... and the SARIF upload still runs (always()) with a real SARIF 2.1.0 file.
    sarif_step = "github/codeql-action/upload-sarif@5d4e8d1aca955e8d8589aabd499c5cae939e33c7"
    assert sarif_step in played.jobs["review"].steps_run
    sarif = Path(played.jobs["review"].rendered[sarif_step]["with.sarif_file"])
    document = json.loads(sarif.read_text())
    assert document["version"] == "2.1.0"
    (result,) = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    # The review went to the pull request, on the finding's line, and the check run failed.
    (posted,) = stage.github.proxy.calls("POST", rf"{REPO_API}/pulls/{PR_NUMBER}/reviews")
    body = posted.json()
    assert body["event"] == "COMMENT" and body["commit_id"] == head
    assert [(c["path"], c["line"]) for c in body["comments"]] == [("src/shop/pricing.py", line)]
    checks = stage.github.proxy.calls("PATCH", rf"{REPO_API}/check-runs/\d+")
    checks += stage.github.proxy.calls("POST", rf"{REPO_API}/check-runs")
    assert any((c.json() or {}).get("conclusion") == "failure" for c in checks)

    # gen-tests: one accepted test per new function, delivered as a patch the upload step takes.
    tests = played.step("gen-tests").run
    assert tests.exit_code == 0, tests.log
    assert played.jobs["gen-tests"].result == "success"
    assert tests.outputs["tests_accepted"] == "3", tests.summary
    assert float(tests.outputs["coverage_after"]) > float(tests.outputs["coverage_before"])
    upload = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02"
    assert upload in played.jobs["gen-tests"].steps_run
    patch = Path(played.jobs["gen-tests"].rendered[upload]["with.path"])
    assert "def test_rates_by_quantity" in patch.read_text()
    applied = subprocess.run(
        ["git", "-C", str(workspace), "apply", "--check", str(patch)], capture_output=True, text=True
    )
    assert applied.returncode == 0, applied.stderr
    assert stage.model.pending == 0


def test_pr_review_skips_draft_pull_requests(stage: Stage, tmp_path: Path) -> None:
    payload = pull_request_event("0" * 40, "1" * 40)
    payload["pull_request"]["draft"] = True
    played = stage.play(
        "pr-review.yml", event_name="pull_request", payload=payload, workspace=tmp_path,
        sha="1" * 40, ref=f"refs/pull/{PR_NUMBER}/merge",
    )  # fmt: skip
    assert played.ran() == set() and played.steps == []
