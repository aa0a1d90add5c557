"""``cicd-agent test-step [--retries N] [--flaky fail|pass] [--issues [--stable-runs N]] --
COMMAND...``: the job's test step, retried and quarantined.

It runs the workflow's test command (:mod:`cicd_agent.verify.runners.step`), judges the runs
(:func:`cicd_agent.analysis.test_step.judge_step`) with the quarantine of the settings file at
the trusted commit (the base, never the pull request's tree: :func:`.repo_config.load`), says
what it found on standard output and in the job summary, records a default-branch push's
outcomes in the test history (:mod:`cicd_agent.local.test_history`), and exits 0 when the
step passes, 1 when it fails, 2 on bad usage.

Trust: a push is pushed code (:meth:`Trust.pushed`); a pull request's is GitHub's answer for
it (:func:`cicd_agent.github.trust.read_trust`, with the job's token: a same-repository head
whose author can push), so the base's quarantine keeps a writer's pull request green. Any
other event, no token, or no answer: :meth:`Trust.unknown`, under which no retry and no
quarantine excuses a failure (fail closed).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from cicd_agent.analysis.flaky_stats import (
    TOP,
    WINDOW,
    FlakyStat,
    StoredRun,
    mermaid_chart,
    stats,
    svg_chart,
)
from cicd_agent.analysis.test_step import FlakyPolicy, judge_step
from cicd_agent.github.trust import Trust
from cicd_agent.job.events import Event, load_event
from cicd_agent.job.flaky_issues import own
from cicd_agent.job.repo_config import load, trusted_commit
from cicd_agent.local.test_history import FileStore, may_record
from cicd_agent.local.test_step import read_change
from cicd_agent.runner.errors import CicdError
from cicd_agent.runner.markdown import code_span, posted
from cicd_agent.runner.runner_io import RunnerIO
from cicd_agent.verify.runners.step import run_attempts

NAME = "test-step"


def main(argv: Sequence[str], environ: Mapping[str, str], out: TextIO) -> int:
    """Run the step; the exit code is the step's."""
    parser = argparse.ArgumentParser(
        prog=f"cicd-agent {NAME}", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--retries", type=int, default=2, help="reruns of the failed tests (0-5)")
    parser.add_argument("--flaky", choices=("fail", "pass"), default="fail",
                        help="the step's result when every failure passed on retry")  # fmt: skip
    parser.add_argument("--issues", action="store_true",
                        help="open or update a GitHub issue per flaky test (pushes only)")  # fmt: skip
    parser.add_argument("--stable-runs", type=int, default=10, choices=range(1, WINDOW + 1),
                        metavar=f"1-{WINDOW}", help="close a flaky test's issue once it has "
                        "passed this many runs in a row")  # fmt: skip
    parser.add_argument("command", nargs="+", help="the test command, after --")
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0) and 2
    name = environ.get("GITHUB_EVENT_NAME") or None
    path = environ.get("GITHUB_EVENT_PATH")
    cwd = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd())
    today = datetime.now(UTC).date()
    try:
        event = load_event(Path(path) if path else None, name)
        trusted = trusted_commit(event, None)
        entries = load(cwd, trusted, "analyse-failure", today).quarantine
    except CicdError as error:
        out.write(f"cicd-agent {NAME}: {error}\n")
        return int(error.exit_code)
    trust = _trust(event, environ)
    policy: FlakyPolicy = "pass" if args.flaky == "pass" else "fail"
    started = time.monotonic()
    pull, push = event.pull_request, event.push
    base, head = ((pull.base.sha, pull.head.sha) if pull is not None else
                  (push.before, push.after) if push is not None else (None, None))  # fmt: skip
    change, unread = read_change(base, head, cwd)
    attempts = run_attempts(args.command, args.retries, cwd=cwd, env=environ,
                            trusted=trust.code_is_proof, change=change)  # fmt: skip
    spent = round(time.monotonic() - started, 1)  # the CI time a failure of the step costs
    verdict = judge_step(attempts, entries, today, code_is_proof=trust.code_is_proof,
                         policy=policy, change=change)  # fmt: skip
    lines = [*(f"- flaky: {code_span(t)}: {why}" for t, why in verdict.flaky),
             *(f"- likely flaky: {code_span(t)}: {why}" for t, why in verdict.likely_flaky),
             *([f"No failure is called flaky by the lines it ran: {unread}."]
               if unread and verdict.failing else []),
             *(f"- quarantined: {code_span(t)}: {why}" for t, why in verdict.quarantined),
             *(f"- failed: {code_span(t)}" for t in verdict.failing), *verdict.said]  # fmt: skip
    repository = event.repository
    branch = environ.get("GITHUB_REF_NAME", "")
    default = repository.default_branch or "" if repository is not None else ""
    if repository is not None and attempts and may_record(trust, branch, default):
        store, job = FileStore(), environ.get("GITHUB_JOB", "")
        store.add(StoredRun(
            repository.full_name or "", job, int(environ.get("GITHUB_RUN_ID", "0") or 0),
            int(environ.get("GITHUB_RUN_ATTEMPT", "1") or 1), environ.get("GITHUB_SHA", ""),
            datetime.now(UTC).isoformat(), attempts[0].outcomes, job_seconds=spent,
        ))  # fmt: skip
        history = store.recent(repository.full_name or "", job)
        found = stats(history)
        lines += _seen(found, environ)
        if args.issues:
            lines += own(found, history, environ, cwd, commit=trusted, command=args.command,
                         today=today, stable_after=args.stable_runs)  # fmt: skip
    text = posted("\n".join(["### cicd-agent test step", *lines]) + "\n")
    out.write(text)
    if environ.get("GITHUB_STEP_SUMMARY"):
        RunnerIO(environ, commands=out, human=out).write_summary(text)
    return 0 if verdict.passed else 1


def _trust(event: Event, environ: Mapping[str, str]) -> Trust:
    """Whom the code under test came from (see the module's docstring)."""
    if event.push is not None:
        return Trust.pushed()
    if event.pull_request is None or not environ.get("GITHUB_TOKEN"):
        return Trust.unknown()
    from cicd_agent.github.client import connect  # the SDK: only where a pull request is asked
    from cicd_agent.github.settings import settings_from_env

    try:
        return connect(settings_from_env(environ)).trust(event.pull_request.number)
    except CicdError:
        return Trust.unknown()


def _seen(found: Sequence[FlakyStat], environ: Mapping[str, str]) -> list[str]:
    """The job's flaky tests over the history's window, most CI time lost first: a chart
    (drawn in the summary; an SVG file too, on a runner) and a table, ranked alike."""
    if not found:
        return []
    rows = [f"| {rank} | {code_span(stat.test, 120)} | {stat.flip_rate:.0%} | {stat.failures} "
            f"of {stat.runs} | {stat.lost_seconds:,.0f} s |"
            for rank, stat in enumerate(found[:TOP], 1)]  # fmt: skip
    lines = ["", f"**Flaky tests of this job** (its last {WINDOW} runs on the default branch, "
             "most CI time lost first):"]  # fmt: skip
    if chart := mermaid_chart(found):
        lines += ["", chart]
    if folder := environ.get("RUNNER_TEMP"):
        image = Path(folder) / "cicd-agent-flaky-tests.svg"
        try:
            image.write_text(svg_chart(found), encoding="utf-8")
            lines += ["", f"The chart as an image: {code_span(str(image))} (keep it with "
                      "`actions/upload-artifact`)."]  # fmt: skip
        except OSError as error:
            lines += ["", f"The chart's image was not written: {error.strerror}."]
    return [*lines, "", "| # | test | flip rate | failed | CI time lost |",
            "|---:|---|---:|---:|---:|", *rows]  # fmt: skip
