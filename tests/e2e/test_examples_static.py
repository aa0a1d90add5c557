"""What can be checked in the example workflows without running them.

Each workflow grants nothing at the top and each job exactly the permissions its steps need (the
same table the end-to-end tests enforce on the token); every ``steps.X``, ``needs.X`` and
``jobs.X`` names something that exists where it is read, and every output read from a
cicd-agent step is one action.yml declares; every cicd-agent step is pinned by full SHA and
passes only inputs action.yml declares.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from tests.harness.github_mock import REPO
from tests.harness.token_permissions import (
    action_needs,
    denied,
    forbidden_routes,
    step_needs,
    union,
)
from tests.harness.workflows import ACTION, EXAMPLES, Workflow, all_examples, usage_comment

REPO_API = f"/repos/{REPO}"


@pytest.mark.parametrize("workflow", all_examples(), ids=lambda w: w.path.name)
def test_example_permissions_are_the_least_its_steps_need(workflow: Workflow) -> None:
    """The workflow grants nothing; each job grants exactly what its steps need.

    A job of the user's own commands (a deploy script, a test run) may read the repository.
    """
    if "workflow_call" in workflow.triggers:
        return  # its jobs run with the caller's permissions: the next test checks those
    assert workflow.doc.get("permissions") == {}
    for job_id, job in workflow.jobs.items():
        assert "permissions" in job, f"{job_id} must declare its permissions"
        granted = {k: v for k, v in job["permissions"].items()}
        needs = []
        for step in job.get("steps", []):
            inputs = {str(k): str(v) for k, v in (step.get("with") or {}).items()}
            action = str(step.get("uses", "")).split("@")[0]
            if action + "@" == ACTION:
                mode = inputs["mode"]
                modes = _reusable_modes(workflow) if mode == "${{ inputs.mode }}" else [mode]
                needs += [step_needs(m, inputs) for m in modes]
            elif action:
                needs.append(action_needs(action, inputs))
        needed = union(*needs)
        if not workflow.agent_steps(job_id) and granted != needed:
            assert union(needed, {"contents": "read"}) == granted, job_id
            continue
        assert granted == needed, f"{workflow.path.name} job {job_id}"


def test_reusable_usage_is_valid_yaml_granting_each_mode_exactly_what_it_needs() -> None:
    """reusable.yml asks for no permissions itself (GitHub checks a called workflow's job
    permissions against the caller's before any ``if:``, so one job asking for every mode's
    would force every caller to grant them all): its usage comment, valid YAML, shows one
    caller job per mode granting exactly that mode's needs, with the checkout's."""
    workflow = Workflow.load("reusable.yml")
    assert "permissions" not in workflow.doc
    assert all("permissions" not in job for job in workflow.jobs.values())
    callers = usage_comment(workflow)["jobs"]
    assert sorted(job["with"]["mode"] for job in callers.values()) == sorted(
        _reusable_modes(workflow)
    )
    inputs = set(workflow.triggers["workflow_call"]["inputs"])
    for name, job in callers.items():
        assert re.fullmatch(r"my-org/\.github/\.github/workflows/cicd-agent\.yml@.+", job["uses"])
        assert set(job["with"]) <= inputs, name
        assert set(job["secrets"]) <= set(workflow.triggers["workflow_call"]["secrets"]), name
        (step,) = workflow.agent_steps("run")
        given = {**step.with_, "mode": job["with"]["mode"]}
        needed = union(step_needs(job["with"]["mode"], given),
                       action_needs("actions/checkout", {}))  # fmt: skip
        assert dict(job["permissions"]) == needed, name


def _reusable_modes(workflow: Workflow) -> list[str]:
    """Every mode a caller may pass to a reusable workflow's ``mode`` input."""
    described = workflow.triggers["workflow_call"]["inputs"]["mode"]["description"]
    modes = re.findall(r"[a-z]+(?:-[a-z]+)?", described)
    return [m for m in modes if m in {"review", "gen-tests", "analyse-failure", "deploy-gate"}]


@pytest.mark.parametrize("workflow", all_examples(), ids=lambda w: w.path.name)
def test_example_expressions_name_steps_jobs_inputs_and_outputs_that_exist(
    workflow: Workflow,
) -> None:
    """Each ``steps.X``, ``needs.X`` and ``jobs.X`` names something that exists at that point,
    and each output read from a cicd-agent step is one action.yml declares: the runner would
    silently read an empty string for any typo."""
    action = yaml.safe_load((EXAMPLES.parents[1] / "action.yml").read_text())
    for job_id, job in workflow.jobs.items():
        declared_needs = set(workflow.needs(job_id))
        seen: dict[str, dict[str, Any]] = {}
        for step in job.get("steps", []):
            text = json.dumps({k: step.get(k) for k in ("if", "with", "env", "run")})
            for ref, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
                assert ref in seen, f"{job_id}: steps.{ref} is not an earlier step"
                if str(seen[ref].get("uses", "")).startswith(ACTION):
                    assert output in action["outputs"], f"{job_id}: no action output {output}"
            for ref in re.findall(r"needs\.([\w-]+)", text + json.dumps(job.get("if", ""))):
                assert ref in declared_needs, f"{job_id}: needs.{ref} is not in needs:"
            if str(step.get("uses", "")).startswith(ACTION):
                assert re.fullmatch(r"org/cicd-agent@[0-9a-f]{40}", step["uses"]), step["uses"]
                unknown = set(step.get("with") or {}) - set(action["inputs"])
                assert not unknown, f"{job_id}: inputs action.yml does not declare: {unknown}"
            if "id" in step:
                seen[step["id"]] = step
        for output in (job.get("outputs") or {}).values():
            for ref, name in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", output):
                assert ref in seen and name in action["outputs"], f"{job_id} output {output}"
        for other in workflow.jobs.values():
            text = json.dumps(other)
            for name in re.findall(rf"needs\.{re.escape(job_id)}\.outputs\.([\w-]+)", text):
                assert name in (job.get("outputs") or {}), f"needs.{job_id}.outputs.{name}"
    for spec in ((workflow.triggers.get("workflow_call") or {}).get("outputs") or {}).values():
        for job_id, name in re.findall(r"jobs\.([\w-]+)\.outputs\.([\w-]+)", spec["value"]):
            assert name in (workflow.jobs[job_id].get("outputs") or {}), spec["value"]


def test_the_token_check_refuses_a_write_the_job_was_not_granted() -> None:
    review = ("POST", f"{REPO_API}/pulls/2/reviews")
    assert [str(d) for d in denied({"contents": "read"}, [review])] == [
        f"POST {REPO_API}/pulls/2/reviews needs pull-requests: write"
    ]
    assert denied({"contents": "read", "pull-requests": "write"}, [review]) == []
    comment = ("POST", f"{REPO_API}/issues/2/comments")
    assert denied({"issues": "write"}, [comment]) == []
    assert ("POST", f"{REPO_API}/pulls/2/reviews") not in [
        (m, p)
        for m, p in forbidden_routes({"pull-requests": "write"})
        if re.fullmatch(p, review[1])
    ]
    with pytest.raises(AssertionError, match="no permission known"):
        denied({}, [("DELETE", f"{REPO_API}/git/refs/heads/main")])


def test_the_readme_grants_per_mode_are_the_usage_blocks() -> None:
    readme = (EXAMPLES.parents[1] / "README.md").read_text()
    rows = dict(
        re.findall(r"^\| `([\w-]+)` \| (`[a-z-]+: \w+`(?:, `[a-z-]+: \w+`)*) \|$", readme, re.M)
    )
    for job in usage_comment(Workflow.load("reusable.yml"))["jobs"].values():
        granted = dict(re.findall(r"`([a-z-]+): (\w+)`", rows[job["with"]["mode"]]))
        assert granted == job["permissions"], job["with"]["mode"]


def _runs_tests(workflow: Workflow, step: dict[str, Any]) -> bool:
    inputs = {str(k): str(v) for k, v in (step.get("with") or {}).items()}
    mode = inputs.get("mode", "")
    if mode == "${{ inputs.mode }}":
        return "gen-tests" in _reusable_modes(workflow)
    return mode == "gen-tests" or (mode == "command" and "gen-tests" in inputs.get("commands", ""))


@pytest.mark.parametrize("workflow", all_examples(), ids=lambda w: w.path.name)
def test_every_job_that_runs_tests_installs_what_they_need_first(workflow: Workflow) -> None:
    """gen-tests runs the project's test command; a job with no install step before it meets
    "No module named pytest" on its first run (pr-commands.yml's gen-tests job did). A
    reusable workflow's install command is its caller's input: its default must install."""
    defaults = {
        name: str(spec.get("default", ""))
        for name, spec in ((workflow.triggers.get("workflow_call") or {}).get("inputs") or {}).items()
    }  # fmt: skip
    for job_id, job in workflow.jobs.items():
        steps = job.get("steps", [])
        for index, step in enumerate(steps):
            if not (str(step.get("uses", "")).startswith(ACTION) and _runs_tests(workflow, step)):
                continue
            runs = [
                " ".join([str(earlier.get("run", "")), *map(str, (earlier.get("env") or {}).values())])
                for earlier in steps[:index]
            ]  # fmt: skip
            runs = [re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}",
                           lambda m: defaults.get(m[1], ""), run) for run in runs]  # fmt: skip
            installs = [run for run in runs if "pip install" in run]
            assert any("pytest" in run or "-r " in run for run in installs), job_id


@pytest.mark.parametrize(
    "path",
    [*sorted(EXAMPLES.glob("*.yml")), EXAMPLES.parent / "cicd-agent.yml"],
    ids=lambda p: p.name,
)
def test_every_example_says_at_the_top_what_to_replace_before_copying(path: Any) -> None:
    """`org/cicd-agent` appeared a dozen times and was never called a placeholder, and
    ci-failure.yml listened to `workflows: [CI]` without saying to rename it."""
    text = path.read_text()
    head = text.split("\n\n", 1)[0]
    assert "# To copy:" in head, path.name
    if "org/cicd-agent" in text:
        assert "`org/cicd-agent`" in head and "placeholder" in head, path.name
    for listened in re.findall(r"^\s*workflows: (\[.*\])", text, re.M):
        assert f"`workflows: {listened}`" in head, (path.name, listened)


FORK_NOTE = "fails review when a fork adds it"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yml")), ids=lambda p: p.name)
def test_an_example_a_fork_cannot_add_says_so_before_copying(path: Any) -> None:
    """ci-failure, fork-safe-publish and pr-commands exempt their trigger with a
    ``# zizmor: ignore``, which a fork's pull request does not get (the review blocks it, as
    tests/modes/review/test_review_zizmor_ignores.py shows): their notes say so, no other's."""
    text = path.read_text()
    head = " ".join(line.lstrip("# ") for line in text.split("\n\n", 1)[0].splitlines())
    exempts = "# zizmor: ignore[dangerous-triggers]" in text
    assert (FORK_NOTE in head) == exempts, path.name


def test_the_readme_snippets_grant_what_its_table_says() -> None:
    """The README's deploy-gate snippet granted less than its own table (no `actions: read`)."""
    readme = (EXAMPLES.parents[1] / "README.md").read_text()
    rows = dict(
        re.findall(r"^\| `([\w-]+)` \| (`[a-z-]+: \w+`(?:, `[a-z-]+: \w+`)*) \|$", readme, re.M)
    )
    checked = 0
    for block in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL):
        document = yaml.safe_load(block)
        jobs = document.get("jobs", {}) if isinstance(document, dict) else {}
        for job in jobs.values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith(ACTION):
                    mode = step["with"]["mode"]
                    granted = dict(re.findall(r"`([a-z-]+): (\w+)`", rows[mode]))
                    assert job["permissions"] == granted, mode
                    checked += 1
    assert checked
