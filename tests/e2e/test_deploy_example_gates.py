"""deploy.yml can only deploy what the gate allowed: every combination, read by GitHub's engine.

The jobs ``analyse → test → approve → deploy → canary → rollback`` hand the gate's decision on
through ``needs``. A skipped job makes every job that needs it skip too unless its ``if:`` calls
a status function, and a status function (``always()``) also runs in a cancelled run: the two
ways a deploy can slip past a skipped approval or a cancel. These tests read the workflow's own
``if:`` conditions with ``@actions/expressions`` (``tests/harness/workflows.py``), for every
combination of the gate's outputs and of the results of the jobs the deploy needs.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.harness.workflows import (
    AgentStep,
    StepRun,
    Workflow,
    conditions,
    simulate,
)

RESULTS = ("success", "failure", "skipped", "cancelled")
APPROVAL = ("true", "false", "")  # "" is what a gate that never wrote its outputs leaves
SCOPES = ("none", "targeted", "full", "")
RECOMMENDATIONS = ("proceed", "hold", "")
STRATEGIES = ("none", "direct", "rolling", "canary", "blue_green", "")


def may_deploy(
    *, analyse: str, outputs: dict[str, str], test: str, approve: str, cancelled: bool
) -> bool:
    """The rule the README gives: the gate finished and said proceed; the tests it asked for ran
    and passed; the approval it asked for was given; and nobody cancelled the run."""
    tests_ok = test == "success" or (test == "skipped" and outputs["test_scope"] == "none")
    approval_ok = approve == "success" or (
        approve == "skipped" and outputs["requires_approval"] == "false"
    )
    return (
        not cancelled
        and analyse == "success"
        and outputs["recommendation"] == "proceed"
        and tests_ok
        and approval_ok
    )


@pytest.fixture(scope="module")
def deploy_yml() -> Workflow:
    return Workflow.load("deploy.yml")


def test_the_deploy_condition_holds_for_every_combination_of_outputs_and_results(
    deploy_yml: Workflow,
) -> None:
    """The deploy job's ``if:`` alone, over every gate output and every result of every job it
    needs, reachable or not (4 × 3 × 4 × 3 × 6 × 4 × 4 × 2 = 27,648 cases)."""
    spec = deploy_yml.jobs["deploy"]
    assert sorted(deploy_yml.needs("deploy")) == ["analyse", "approve", "test"]
    cases: list[tuple[dict[str, Any], dict[str, bool]]] = []
    expected: list[bool] = []
    combos = itertools.product(
        RESULTS, APPROVAL, SCOPES, RECOMMENDATIONS, STRATEGIES, RESULTS, RESULTS, (False, True)
    )
    for analyse, approval, scope, recommendation, strategy, test, approve, cancelled in combos:
        outputs = {"requires_approval": approval, "test_scope": scope,
                   "recommendation": recommendation, "strategy": strategy}  # fmt: skip
        needs = {
            "analyse": {"result": analyse, "outputs": outputs},
            "test": {"result": test, "outputs": {}},
            "approve": {"result": approve, "outputs": {}},
        }
        results = (analyse, test, approve)
        status = {
            "success": all(r == "success" for r in results) and not cancelled,
            "failure": "failure" in results,
            "cancelled": cancelled,
        }
        cases.append(({"needs": needs}, status))
        expected.append(may_deploy(analyse=analyse, outputs=outputs, test=test,
                                   approve=approve, cancelled=cancelled))  # fmt: skip
    answers = conditions(str(spec["if"]), cases)
    wrong = [
        (case[0]["needs"], case[1]["cancelled"], want)
        for case, got, want in zip(cases, answers, expected, strict=True)
        if got != want
    ]
    assert not wrong, f"{len(wrong)} wrong, first: {wrong[:3]}"
    assert sum(expected) > 0  # the condition is not simply false


def gate(outputs: dict[str, str], exit_code: int) -> Any:
    """The cicd-agent steps of deploy.yml: the gate answers ``outputs``; the canary judge (which
    only runs after a deploy) answers promote."""

    def run_agent(step: AgentStep, given: dict[str, str]) -> StepRun:
        if step.job_id == "analyse":
            return StepRun(outputs, exit_code)
        assert step.job_id == "canary", step.job_id
        return StepRun({"verdict": "promote", "rollback": "false"}, 0)

    return run_agent


CONTEXTS = {
    "github": {"event_name": "push", "ref": "refs/heads/main", "sha": "1" * 40},
    "secrets": {"OPENAI_API_KEY": "sk-test", "PROMETHEUS_TOKEN": "prom"},
    "vars": {"PROMETHEUS_URL": "http://127.0.0.1:9"},
    "runner": {"temp": "/tmp", "os": "Linux"},
    "inputs": {},
}


@pytest.mark.slow
def test_the_whole_workflow_deploys_only_when_the_gate_allowed_it(deploy_yml: Workflow) -> None:
    """The job graph walked as the runner walks it, for every gate output, gate exit code, end of
    the test and approve jobs (passed, failed or rejected, cancelled while running) and every
    point at which the run can be cancelled."""
    played = 0
    deployed = 0
    for approval, scope, recommendation, exit_code, test_end, approve_end, cancel in (
        itertools.product(APPROVAL, SCOPES, RECOMMENDATIONS, (0, 1),
                          ("success", "failure", "cancelled"), ("success", "failure", "cancelled"),
                          (None, "test", "approve", "deploy"))
    ):  # fmt: skip
        outputs = {
            "risk_level": "high", "recommendation": recommendation, "strategy": "canary",
            "canary_percentage": "10", "requires_approval": approval, "test_scope": scope,
            "test_paths": "[]", "audit_file": "",
        }  # fmt: skip
        jobs = simulate(
            deploy_yml, CONTEXTS, gate(outputs, exit_code),
            ends={"test": test_end, "approve": approve_end}, cancel_before=cancel,
        )  # fmt: skip
        played += 1
        results = {job: outcome.result for job, outcome in jobs.items()}
        cancelled = cancel is not None or "cancelled" in results.values()
        ran = results["deploy"] != "skipped"
        allowed = may_deploy(analyse=results["analyse"], outputs=outputs, test=results["test"],
                             approve=results["approve"], cancelled=cancelled)  # fmt: skip
        situation = (outputs, exit_code, test_end, approve_end, cancel, results)
        assert ran == allowed, situation
        if ran:
            deployed += 1
            # The three ways the old workflow deployed anyway, asked directly:
            assert approval != "true" or results["approve"] == "success", situation
            assert scope == "none" or results["test"] == "success", situation
            assert not cancelled, situation
        # The canary is judged only after a deploy.
        assert results["canary"] == "skipped" or ran, situation
    assert played == 3 * 4 * 3 * 2 * 3 * 3 * 4
    assert deployed > 0


@pytest.mark.parametrize(
    ("approval", "scope", "jobs_run"),
    [
        ("false", "none", {"analyse", "deploy", "canary"}),
        ("false", "targeted", {"analyse", "test", "deploy", "canary"}),
        ("true", "none", {"analyse", "approve", "deploy", "canary"}),
        ("true", "full", {"analyse", "test", "approve", "deploy", "canary"}),
    ],
)
def test_an_allowed_deploy_runs_the_jobs_the_gate_asked_for(
    deploy_yml: Workflow, approval: str, scope: str, jobs_run: set[str]
) -> None:
    outputs = {"risk_level": "high", "recommendation": "proceed", "strategy": "canary",
               "canary_percentage": "10", "requires_approval": approval, "test_scope": scope,
               "test_paths": "[]", "audit_file": ""}  # fmt: skip
    jobs = simulate(deploy_yml, CONTEXTS, gate(outputs, 0))
    assert {job for job, outcome in jobs.items() if outcome.result != "skipped"} == jobs_run
