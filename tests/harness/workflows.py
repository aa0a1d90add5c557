"""The example workflows as the runner reads them: which jobs run, with which inputs and outputs.

A workflow is a graph of jobs whose ``if:`` conditions read the outputs of the jobs they need;
each cicd-agent step gets its inputs from ``with:`` expressions over ``secrets``, ``vars``,
``github``, ``runner``, ``inputs`` and earlier ``steps``. :func:`simulate` walks that graph the
way the runner does and calls back to run each cicd-agent step whose job and step conditions hold
(through :class:`~tests.harness.action_runner.ActionRunner`); every other step is taken to
succeed, with its ``with:`` and ``env:`` still evaluated so a broken expression fails the test.

Expressions are evaluated by GitHub's own engine (npm ``@actions/expressions``, installed by
``setup.sh``) through ``expressions.mjs``, not by an imitation: ``always()``, the implied
``success() &&``, comparisons of strings with numbers and case-insensitive equality are the
runner's. A secret or variable the workflow reads that the test did not provide is an error,
never a silent empty string.
"""

from __future__ import annotations

import atexit
import itertools
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "workflows"
ENGINE = ROOT / ".harness" / "expressions" / "dist" / "index.js"
EVALUATOR = Path(__file__).with_name("expressions.mjs")
ACTION = "org/cicd-agent@"
STATUS_CALL = re.compile(r"\b(success|failure|always|cancelled)\s*\(")
SECRET_OR_VAR = re.compile(r"\b(secrets|vars)\.([A-Za-z_][\w-]*)")
# Every context a workflow may name; the engine rejects any other name as a parse error.
CONTEXT_NAMES = ("github", "env", "vars", "job", "jobs", "steps", "runner", "secrets",
                 "strategy", "matrix", "needs", "inputs")  # fmt: skip


class WorkflowError(AssertionError):
    """The workflow cannot be run as written (bad expression, missing secret, unknown job)."""


class _Engine:
    """One Node process running expressions.mjs for the whole session (a spawn costs ~0.1 s,
    and a workflow has dozens of expressions), answering one JSON line per request line."""

    _process: subprocess.Popen[str] | None = None

    @classmethod
    def ask(cls, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        process = cls._process
        if process is None or process.poll() is not None:
            process = cls._process = cls._start()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(items) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            raise WorkflowError(f"expression evaluator exited with {process.wait()}")
        answers: list[dict[str, Any]] = json.loads(line)
        return answers

    @classmethod
    def _start(cls) -> subprocess.Popen[str]:
        if not ENGINE.is_file():
            raise WorkflowError(
                f"{ENGINE} is missing: run `bash tests/harness/setup.sh` from the repository root"
            )
        node = shutil.which("node")
        if node is None:
            raise WorkflowError("node is not installed: the workflow tests evaluate with it")
        process = subprocess.Popen(
            [node, str(EVALUATOR), str(ENGINE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(cls._stop, process)
        return process

    @staticmethod
    def _stop(process: subprocess.Popen[str]) -> None:
        if process.stdin is not None:
            process.stdin.close()  # the evaluator ends at the end of its input
        process.wait(timeout=10)


def evaluate(items: list[dict[str, Any]]) -> list[Any]:
    """Evaluate ``items`` (see expressions.mjs); any error fails loudly."""
    answers = _Engine.ask(items)
    errors = [answer["error"] for answer in answers if "error" in answer]
    if errors:
        raise WorkflowError("\n".join(errors))
    return [answer["value"] for answer in answers]


def render(text: str, contexts: Mapping[str, Any]) -> str:
    """``text`` with every ``${{ }}`` substituted, as the runner renders ``with:`` and ``env:``."""
    return str(evaluate([_item("template", text, contexts)])[0])


def condition(
    text: str,
    contexts: Mapping[str, Any],
    *,
    success: bool,
    failure: bool,
    cancelled: bool = False,
) -> bool:
    """An ``if:`` as the runner reads it (``success() &&`` implied without a status call); in a
    cancelled run ``success()`` is false and ``cancelled()`` true."""
    status = {"success": success and not cancelled, "failure": failure, "cancelled": cancelled}
    return bool(evaluate([_item("condition", text, contexts, status)])[0])


def conditions(text: str, cases: list[tuple[Mapping[str, Any], dict[str, bool]]]) -> list[bool]:
    """One ``if:`` read in many situations at once (contexts and status flags per case): a single
    round trip to the engine, for tests that try every combination."""
    answers = evaluate([_item("condition", text, contexts, status) for contexts, status in cases])
    return [bool(answer) for answer in answers]


def _item(
    kind: str, text: str, contexts: Mapping[str, Any], status: dict[str, bool] | None = None
) -> dict[str, Any]:
    _check_provided(text, contexts)
    full = {name: contexts.get(name, {}) for name in CONTEXT_NAMES}
    return {"kind": kind, "text": text, "contexts": full, "status": status or {}}


def _check_provided(text: str, contexts: Mapping[str, Any]) -> None:
    for kind, name in SECRET_OR_VAR.findall(text):
        if name not in contexts.get(kind, {}):
            raise WorkflowError(f"the workflow reads {kind}.{name}, which the test did not set")


@dataclass(frozen=True)
class AgentStep:
    """One ``uses: org/cicd-agent@…`` step of a job."""

    job_id: str
    index: int
    step: dict[str, Any]

    @property
    def id(self) -> str | None:
        return self.step.get("id")

    @property
    def with_(self) -> dict[str, str]:
        return {str(k): _text(v) for k, v in (self.step.get("with") or {}).items()}

    @property
    def mode(self) -> str:
        return self.with_["mode"]


def _text(value: object) -> str:
    """A ``with:`` value as the runner passes it: YAML scalars become their string form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Workflow:
    path: Path
    doc: dict[Any, Any]

    @classmethod
    def load(cls, name: str) -> Workflow:
        path = EXAMPLES / name
        return cls(path, yaml.safe_load(path.read_text(encoding="utf-8")))

    @property
    def name(self) -> str:
        return str(self.doc["name"])

    @property
    def triggers(self) -> dict[str, Any]:
        """``on:`` as a mapping (YAML 1.1 reads the bare key ``on`` as True)."""
        on = self.doc.get("on", self.doc.get(True))
        if isinstance(on, str):
            return {on: None}
        if isinstance(on, list):
            return dict.fromkeys(on)
        return dict(on or {})

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        return dict(self.doc["jobs"])

    def needs(self, job_id: str) -> list[str]:
        needs = self.jobs[job_id].get("needs", [])
        return [needs] if isinstance(needs, str) else list(needs)

    def agent_steps(self, job_id: str | None = None) -> list[AgentStep]:
        return [
            AgentStep(job, index, step)
            for job, spec in self.jobs.items()
            if job_id in (None, job)
            for index, step in enumerate(spec.get("steps", []))
            if str(step.get("uses", "")).startswith(ACTION)
        ]

    def job_order(self) -> list[str]:
        """Jobs in an order where every job comes after the jobs it needs."""
        ordered: list[str] = []
        pending = list(self.jobs)
        while pending:
            ready = [j for j in pending if all(n in ordered for n in self.needs(j))]
            if not ready:
                raise WorkflowError(f"{self.path.name}: jobs {pending} need unknown or cyclic jobs")
            ordered += ready
            pending = [j for j in pending if j not in ready]
        return ordered


def usage_comment(workflow: Workflow) -> Any:
    """The YAML a reusable workflow's leading comment gives callers to copy: every comment line
    after ``# usage:``, with its ``# `` prefix removed, parsed (so an invalid snippet fails)."""
    lines = workflow.path.read_text(encoding="utf-8").splitlines()
    comment = [line for line in itertools.takewhile(lambda line: line.startswith("#"), lines)]
    start = comment.index("# usage:") + 1
    return yaml.safe_load(
        "\n".join(line.removeprefix("#").removeprefix(" ") for line in comment[start:])
    )


def all_examples() -> list[Workflow]:
    """Every workflow under ``examples/workflows/``."""
    return [Workflow.load(path.name) for path in sorted(EXAMPLES.glob("*.yml"))]


@dataclass(frozen=True)
class StepRun:
    """What a cicd-agent step left behind: its outputs and the exit code of its last command."""

    outputs: dict[str, str]
    exit_code: int


@dataclass
class JobOutcome:
    """How a job ended (success, failure or skipped), its outputs, and what its steps did."""

    result: str
    outputs: dict[str, str] = field(default_factory=dict)
    steps_run: list[str] = field(default_factory=list)
    rendered: dict[str, dict[str, str]] = field(default_factory=dict)
    """Step label → its ``with:`` and ``env:`` as rendered for the steps that ran."""


RunAgent = Callable[[AgentStep, dict[str, str]], StepRun]
OtherStep = Callable[[str, dict[str, Any], dict[str, str]], None]
"""Called with (job id, step, rendered ``with.*``/``env.*``) for every other step that runs."""


def step_label(step: dict[str, Any], index: int) -> str:
    return str(step.get("id") or step.get("uses") or step.get("name") or f"step {index}")


def simulate(
    workflow: Workflow,
    contexts: Mapping[str, Any],
    run_agent: RunAgent,
    other_step: OtherStep | None = None,
    *,
    ends: Mapping[str, str] | None = None,
    cancel_before: str | None = None,
) -> dict[str, JobOutcome]:
    """Walk the job graph as the runner does; ``run_agent`` runs each cicd-agent step that runs.

    ``contexts`` holds ``github``, ``secrets``, ``vars``, ``runner`` and (for a reusable workflow)
    ``inputs``; ``needs`` and ``steps`` are built here job by job. ``ends`` gives the result a job
    ends with if it runs, for what the simulation cannot play (a step that fails, a reviewer who
    rejects, ``cancelled`` when the run is cancelled while it runs); ``cancel_before`` cancels the
    run just before that job's condition is read. After a cancellation every later condition
    sees ``cancelled()`` true, as on the runner.
    """
    outcomes: dict[str, JobOutcome] = {}
    cancelled = False
    for job_id in workflow.job_order():
        cancelled = cancelled or job_id == cancel_before
        spec = workflow.jobs[job_id]
        needs = {
            n: {"result": outcomes[n].result, "outputs": outcomes[n].outputs}
            for n in workflow.needs(job_id)
        }
        results = [outcome["result"] for outcome in needs.values()]
        job_contexts = {**contexts, "needs": needs}
        runs = condition(
            str(spec.get("if", "true")),
            job_contexts,
            success=all(r == "success" for r in results),
            failure=any(r == "failure" for r in results),
            cancelled=cancelled,
        )
        if not runs:
            outcomes[job_id] = JobOutcome("skipped")
            continue
        outcome = _run_job(workflow, job_id, job_contexts, run_agent, other_step)
        if ends and job_id in ends:
            outcome.result = ends[job_id]
        cancelled = cancelled or outcome.result == "cancelled"
        outcomes[job_id] = outcome
    return outcomes


def _run_job(
    workflow: Workflow,
    job_id: str,
    contexts: dict[str, Any],
    run_agent: RunAgent,
    other_step: OtherStep | None,
) -> JobOutcome:
    spec = workflow.jobs[job_id]
    steps: dict[str, dict[str, Any]] = {}
    outcome = JobOutcome("success")
    for index, step in enumerate(spec.get("steps", [])):
        step_contexts = {**contexts, "steps": steps}
        failed = outcome.result == "failure"
        if not condition(
            str(step.get("if", "true")), step_contexts, success=not failed, failure=failed
        ):
            continue
        label = step_label(step, index)
        outcome.steps_run.append(label)
        rendered = {
            f"{section}.{name}": render(_text(value), step_contexts)
            for section in ("with", "env")
            for name, value in (step.get(section) or {}).items()
        }
        outcome.rendered[label] = rendered
        outputs: dict[str, str] = {}
        if str(step.get("uses", "")).startswith(ACTION):
            inputs = {
                k.removeprefix("with."): v for k, v in rendered.items() if k.startswith("with.")
            }
            run = run_agent(AgentStep(job_id, index, step), inputs)
            outputs = run.outputs
            if run.exit_code != 0 and not step.get("continue-on-error"):
                outcome.result = "failure"
        elif other_step is not None:
            other_step(job_id, step, rendered)
        if "id" in step:
            conclusion = "failure" if outcome.result == "failure" and not failed else "success"
            steps[step["id"]] = {
                "outputs": outputs,
                "outcome": conclusion,
                "conclusion": conclusion,
            }
    step_contexts = {**contexts, "steps": steps}
    outcome.outputs = {
        name: render(_text(value), step_contexts) for name, value in spec.get("outputs", {}).items()
    }
    return outcome


def workflow_call_inputs(workflow: Workflow, given: Mapping[str, str]) -> dict[str, str]:
    """The ``inputs`` context of a reusable workflow: the caller's ``with:`` over the declared
    defaults; an undeclared input or a missing required one fails as the caller's run would."""
    declared = (workflow.triggers.get("workflow_call") or {}).get("inputs", {})
    unknown = set(given) - set(declared)
    if unknown:
        raise WorkflowError(f"{workflow.path.name} declares no inputs {sorted(unknown)}")
    missing = [n for n, spec in declared.items() if spec.get("required") and n not in given]
    if missing:
        raise WorkflowError(f"{workflow.path.name} requires inputs {missing}")
    return {n: str(given.get(n, spec.get("default", ""))) for n, spec in declared.items()}


def workflow_call_outputs(workflow: Workflow, outcomes: Mapping[str, JobOutcome]) -> dict[str, str]:
    """A reusable workflow's outputs as its caller sees them (``on.workflow_call.outputs``)."""
    declared = (workflow.triggers.get("workflow_call") or {}).get("outputs", {})
    jobs = {job: {"result": o.result, "outputs": o.outputs} for job, o in outcomes.items()}
    return {name: render(str(spec["value"]), {"jobs": jobs}) for name, spec in declared.items()}


def runner_environment(
    workflow: Workflow,
    job_id: str,
    *,
    event_name: str,
    repository: str,
    sha: str,
    ref: str,
    head_ref: str = "",
    base_ref: str = "",
) -> dict[str, str]:
    """The ``GITHUB_*`` variables the runner sets for every step of ``job_id``."""
    ref_name = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    return {
        "GITHUB_REPOSITORY": repository,
        "GITHUB_REPOSITORY_OWNER": repository.split("/")[0],
        "GITHUB_SHA": sha,
        "GITHUB_REF": ref,
        "GITHUB_REF_NAME": ref_name,
        "GITHUB_REF_TYPE": "tag" if ref.startswith("refs/tags/") else "branch",
        "GITHUB_HEAD_REF": head_ref,
        "GITHUB_BASE_REF": base_ref,
        "GITHUB_WORKFLOW": workflow.name,
        "GITHUB_WORKFLOW_REF": f"{repository}/.github/workflows/{workflow.path.name}@{ref}",
        "GITHUB_JOB": job_id,
        "GITHUB_RUN_ID": "7100000001",
        "GITHUB_RUN_NUMBER": "42",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_TRIGGERING_ACTOR": "octocat",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_EVENT_NAME": event_name,
        "RUNNER_NAME": "GitHub Actions 1",
        "RUNNER_ARCH": "X64",
        "RUNNER_ENVIRONMENT": "github-hosted",
    }
