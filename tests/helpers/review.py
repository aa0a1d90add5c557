"""Driving review end to end: the pull_request event, the CLI run, the model's answer."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cicd_agent.job.context import RunContext
from cicd_agent.modes.review.answer import ModelFinding, ReviewAnswer
from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.cli import run_cli

if TYPE_CHECKING:
    from cicd_agent.modes.review.options import ReviewOptions

REPO = "/repos/octocat/Hello-World"


REVIEWS = rf"{REPO}/pulls/2/reviews"


def pull_request_event(
    tmp_path: Path,
    base: str,
    head: str,
    *,
    action: str = "opened",
    fork: bool = False,
    body: str = "",
) -> Path:
    payload = payloads.example("pull_request", action)
    pull = payload["pull_request"]
    pull["head"]["sha"], pull["base"]["sha"] = head, base
    if fork:
        pull["head"]["repo"]["full_name"] = "attacker/Hello-World"
    pull["body"] = body or pull.get("body")
    return payloads.write_event(tmp_path, payload)


def run_review(
    tmp_path: Path,
    github_api: Any,
    model_server: Any,
    repo: GitRepoBuilder,
    event: Path,
    *extra: str,
    event_name: str = "pull_request",
    provider: str = "openai",
) -> tuple[int, dict[str, str], str, str]:
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_WORKSPACE": str(repo.path),
        "RUNNER_TEMP": str(tmp_path),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    argv = ["review", "--provider", "none", *extra]
    if provider != "none":
        argv = ["review", "--provider", "openai", "--base-url", model_server.base_url,
                "--model", "gpt-4o-mini", *extra]  # fmt: skip
    done = run_cli(argv, tmp_path, environ)
    return done.code, done.outputs, done.summary, done.stdout


def model_finding(
    path: str, line: int, title: str, severity: str = "medium", **extra: Any
) -> ModelFinding:
    values: dict[str, Any] = {
        "path": path,
        "line": line,
        "start_line": None,
        "severity": severity,
        "category": "correctness",
        "title": title,
        "body": f"{title}: explained.",
        "replacement": None,
        "confidence": 0.8,
    }
    values.update(extra)
    return ModelFinding(**values)


def answer(*findings: ModelFinding, verdict: str = "comment") -> ReviewAnswer:
    summary = "Adds compute() and a settings module."
    return ReviewAnswer(summary=summary, verdict=verdict, findings=list(findings))  # type: ignore[arg-type]


def review_context(
    tmp_path: Path,
    github_api: Any,
    repo: GitRepoBuilder,
    event: Path,
    *argv: str,
    event_name: str = "pull_request",
    workspace: Path | None = None,
) -> RunContext[ReviewOptions]:
    """A review run's context as the CLI builds it (for entry points other modes call, such
    as the ``/cicd-agent describe`` command's, and to drive its steps one by one)."""
    from cicd_agent.actions.runner_io import RunnerIO
    from cicd_agent.job.flags import declared
    from cicd_agent.job.resolve import parse_flags, resolve_run
    from cicd_agent.modes.review import arguments
    from cicd_agent.modes.review.options import ReviewOptions
    from cicd_agent.plugins import build_parser

    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_WORKSPACE": str(workspace or repo.path),
        "RUNNER_TEMP": str(tmp_path),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    groups = declared(arguments.FAIL_ON_CHOICES, arguments.OPTIONS)
    flags = parse_flags(build_parser("review"), ["review", *argv], groups)
    run = resolve_run("review", arguments, flags, environ)
    runner = RunnerIO(environ, commands=io.StringIO(), human=io.StringIO())
    ctx: RunContext[ReviewOptions] = RunContext.of(run, ReviewOptions.from_given, runner)
    return ctx
