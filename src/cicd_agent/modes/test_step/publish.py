"""test-step's publish: each fix of a flaky test suggested on the pull request, a
default-branch push's outcomes added to the test history under the workflow's key
(:func:`cicd_agent.local.test_history.history_key`, the key analyse-failure reads), the job's
flaky tests ranked from it and, with ``issues``, one issue per flaky test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import ExternalServiceError
from cicd_agent.actions.markdown import code_span, prose
from cicd_agent.analysis.flaky_stats import StoredRun, stats
from cicd_agent.analysis.history import canonical_test
from cicd_agent.job.suggested_patch import suggest_patch
from cicd_agent.local.test_history import FileStore, history_file, history_key, may_record
from cicd_agent.modes.test_step.flaky_issues import own
from cicd_agent.modes.test_step.judge import passed_on_retry
from cicd_agent.modes.test_step.result import TestStepResult, seen_lines
from cicd_agent.modes.test_step.types import FlakyFix, StepFacts
from cicd_agent.runners.lookups import file_of_test

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.test_step.options import TestStepOptions


def publish(ctx: RunContext[TestStepOptions], facts: StepFacts, result: TestStepResult) -> None:
    """On a pull request, each fix of a flaky test suggested on it; a default-branch push's
    first run into the test history (with the tests that passed on a retry), the job's flaky
    tests ranked from it, and with ``issues`` an issue per flaky test."""
    if suggested := _suggested(ctx, result.flaky_fixes):
        ctx.posted.record(suggested=suggested)
    event = ctx.event
    repository = event.repository
    push = event.push if ctx.has_event else None
    branch = branch_name(ctx.environ, push.ref if push is not None else "")
    default = (repository.default_branch or "") if repository is not None else ""
    attempts, spent = facts.attempts, facts.seconds
    if repository is None or not attempts or not may_record(facts.trust, branch, default):
        return
    if ctx.options.dry_run:
        ctx.note("Dry run: the outcomes were not added to the test history.")
        return
    store = FileStore(history_file(ctx.environ, ctx.options.repo_dir))
    key = history_key(ctx.environ)
    # the commit tested: the runner's, else the push event's head (a step run on a terminal)
    tested = ctx.environ.get("GITHUB_SHA", "") or (push.after if push is not None else "")
    store.add(
        StoredRun(
            repository.full_name or "",
            key,
            int(ctx.environ.get("GITHUB_RUN_ID", "0") or 0),
            int(ctx.environ.get("GITHUB_RUN_ATTEMPT", "1") or 1),
            tested,
            datetime.now(UTC).isoformat(),
            attempts[0].outcomes,
            job_seconds=spent,
            retried=tuple(passed_on_retry(attempts)),
            order_dependent=_order_dependent(result.flaky_fixes),
        )
    )
    history = store.recent(repository.full_name or "", key)
    found = stats(history)
    names = {canonical: own for attempt in attempts for canonical, own in attempt.names.items()}
    lines = seen_lines(found, ctx.environ, names, dict(result.flaky))
    if ctx.mode_options.issues:
        checkout = ctx.options.repo_dir
        lines += own(
            found,
            history,
            ctx.environ,
            checkout,
            commit=facts.trusted_commit,
            command=list(ctx.mode_options.command),
            today=ctx.today,
            stable_after=ctx.mode_options.stable_runs,
            file_of=lambda test: file_of_test(checkout, test),
        )
    ctx.posted.record(history=lines)


def _order_dependent(fixes: Sequence[FlakyFix]) -> dict[str, str]:
    """Each test this run's ``--fix-flaky`` found failing after another and passing alone, with
    that test: analyse-failure names it from the history rather than calling it flaky."""
    return {
        canonical_test(fix.test): fix.related_test
        for fix in fixes
        if fix.kind == "order-dependent" and fix.related_test
    }


def _suggested(ctx: RunContext[TestStepOptions], fixes: Sequence[FlakyFix]) -> list[str]:
    """Each fix (ours verified, or checked) as suggestions on the pull request the step ran
    for, where its lines are the pull request's own: the pull request made that test what it
    is. A fix whose lines the pull request did not change is shown in the summary only."""
    pull, client = ctx.event.pull_request, ctx.github
    offered = [fix for fix in fixes if fix.patch and fix.status in ("verified", "checked")]
    if pull is None or not offered:
        return []
    why = (
        "this is a dry run"
        if ctx.options.dry_run
        else "there is no GitHub token"
        if client is None
        else ""
    )
    if why or client is None:
        return ["", f"The fixes were not suggested on the pull request: {why}."]
    lines = ["", "**Suggested on the pull request:**"]
    first: dict[str, str] = {}  # each patch's first test: subtests of one test share its patch
    for fix in offered:
        if fix.patch in first:
            lines.append(
                f"- {code_span(fix.test, 120)}: the same fix as "
                f"{code_span(first[fix.patch], 120)}'s, suggested once"
            )
            continue
        first[fix.patch] = fix.test
        label = f"Flaky test fix, {fix.status}"
        lead = (
            f"{label} (cicd-agent, in a sandbox) for {code_span(fix.test, 120)}: "
            f"{fix.evidence[:1500]}"
        )
        try:
            made = suggest_patch(
                client, pull.number, pull.head.sha, fix.patch, label=label, lead=lead
            )
        except ExternalServiceError as exc:
            lines.append(f"- {code_span(fix.test, 120)}: not suggested: {prose(str(exc))}")
            continue
        lines.append(
            f"- {code_span(fix.test, 120)}: "
            + (
                f"{made.count} suggestion(s), {made.url}"
                if made.count
                else f"not suggested: {prose(made.why_not)}"
                if made.why_not
                else "not suggested: its patch changes lines the pull request did not, or ones "
                "that read otherwise at its head or a suggestion cannot hold as they are"
            )
        )
    return lines


def branch_name(environ: Mapping[str, str], pushed: str = "") -> str:
    """The branch the run is on: ``GITHUB_REF_NAME``, else ``GITHUB_REF`` (else the push
    event's ``ref``, ``pushed``: a step run on a terminal with a push event and none of the
    runner's variables) without its ``refs/heads/`` (a tag or a pull request's merge ref is no
    branch)."""
    if name := environ.get("GITHUB_REF_NAME", ""):
        return name if environ.get("GITHUB_REF_TYPE", "branch") == "branch" else ""
    ref = environ.get("GITHUB_REF", "") or pushed
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else ""
