"""What test-step offers for the step's flaky tests: with ``fix-flaky``, each classified in the
sandbox and an order-dependent one fixed (:func:`fix`, :mod:`.fixer`), its verified fix drafted
as a pull request with ``pr``; with ``quarantine-pr``, those left unfixed proposed for quarantine
(:func:`quarantine`). Both pull requests go into the pushed branch, on a push GitHub vouches
for (:func:`_pull_place`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import code_span, commit_message, posted
from cicd_agent.job.draft_pull import open_draft_pull
from cicd_agent.modes.test_step.attempts import runner_of
from cicd_agent.modes.test_step.publish import branch_name
from cicd_agent.modes.test_step.quarantine_pr import propose
from cicd_agent.modes.test_step.result import fixes_lines
from cicd_agent.modes.test_step.types import FlakyFix, StepFacts, StepVerdict
from cicd_agent.runners.lookups import file_of_test

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.payloads import Push
    from cicd_agent.modes.test_step.options import TestStepOptions


def fix(ctx: RunContext[TestStepOptions], facts: StepFacts, verdict: StepVerdict) -> list[FlakyFix]:
    """The step's flaky tests (those that passed on retry, then the history's) classified in
    the sandbox and, where one depends on another test, fixed with no model (:mod:`.fixer`)."""
    from cicd_agent.modes.test_step.fixer import BUDGET, fix_flaky, not_classified
    from cicd_agent.modes.test_step.model_fix import proposer
    from cicd_agent.runners.sandboxes import isolation_of, opened
    from cicd_agent.verify.orders import OrderedRuns

    command = ctx.mode_options.command
    row = runner_of(command)
    orders = row.in_order if row is not None else None
    words = orders.command(command) if orders is not None else None
    flaky = [
        *(test for test, _ in verdict.flaky),
        *(stat.test for stat in facts.history if stat.failures and stat.flips),
    ]
    if not flaky:
        return []
    if orders is None or words is None:
        name = row.name if row is not None else "no known runner"
        why = f"{name} does not run tests in orders of the fixer's choosing"
        ctx.note(f"Flaky tests were not classified: {why}.")
        return not_classified(flaky, why)
    isolation = isolation_of(ctx)
    if not isolation.sandboxed:
        why = f"no sandbox here ({isolation.detail})"
        ctx.note(f"Flaky tests were not classified: {why}.")
        return not_classified(flaky, why)
    with opened(ctx, ctx.options.repo_dir, orders.sandbox) as sandbox:
        driven = OrderedRuns(orders, sandbox, words, budget=BUDGET, say=ctx.progress.say)
        step = row.step if row is not None else None
        fixes, why = fix_flaky(
            driven,
            flaky,
            trusted=facts.trust.code_is_proof,
            propose=proposer(ctx),
            within=step.step_parents if step is not None else lambda _: (),
        )
    if why:
        ctx.note(f"Flaky tests were not classified: {why}.")
    if ctx.mode_options.fix_flaky == "pr":
        return _drafted_once(ctx, facts, fixes)
    return fixes


def _drafted_once(
    ctx: RunContext[TestStepOptions], facts: StepFacts, fixes: Sequence[FlakyFix]
) -> list[FlakyFix]:
    """Each of ``fixes`` proposed by its draft (:func:`_drafted`), each patch once: the flaky
    subtests of one test are fixed by its one patch, and a second draft of it would conflict
    with the first once merged."""
    drafts: dict[str, str] = {}  # a patch's draft
    rows = []
    for found in fixes:
        if found.patch in drafts:
            rows.append(replace(found, pr_url=drafts[found.patch]))
            continue
        rows.append(_drafted(ctx, facts, found))
        if rows[-1].pr_url:
            drafts[found.patch] = rows[-1].pr_url
    return rows


def quarantine(
    ctx: RunContext[TestStepOptions], facts: StepFacts, verdict: StepVerdict, fixes: list[FlakyFix]
) -> None:
    """The step's flaky tests that no fix was offered for, proposed for quarantine by a draft
    pull request (:mod:`.quarantine_pr`), on a push GitHub vouches for."""
    fixed = {fix.test for fix in fixes if fix.status in ("verified", "checked") and fix.patch}
    tests = [test for test, _ in verdict.flaky if test not in fixed]
    if not tests:
        return
    push, client, branch, why = _pull_place(ctx, facts)
    if push is None or client is None:
        ctx.note(f"No quarantine pull request: {why}.")
        return
    checkout = ctx.options.repo_dir
    ctx.note(
        propose(
            client,
            checkout=checkout,
            commit=push.after,
            into=branch,
            tests=tests,
            today=ctx.today,
            file_of=lambda test: file_of_test(checkout, test),
            body=lambda entry: (
                f"- {code_span(entry.test, 200)}: owner @{entry.owner}, until {entry.expires}"
            ),
        )
    )


def _pull_place(
    ctx: RunContext[TestStepOptions], facts: StepFacts
) -> tuple[Push | None, GitHubClient | None, str, str]:
    """Where a pull request of ours may go: the push, the client, the pushed branch; or Nones
    and why not (a push GitHub vouches for only, never on a dry run)."""
    push, client = ctx.event.push, ctx.github
    branch = branch_name(ctx.environ, push.ref) if push is not None else ""
    why = (
        "it is not from a push GitHub vouches for"
        if push is None or not facts.trust.code_is_proof
        else "the push is to no branch"
        if not branch
        else "this is a dry run"
        if ctx.options.dry_run
        else "there is no GitHub token"
        if client is None
        else ""
    )
    return (None, None, "", why) if why else (push, client, branch, "")


def _drafted(ctx: RunContext[TestStepOptions], facts: StepFacts, fix: FlakyFix) -> FlakyFix:
    """``fix`` proposed by a draft pull request into the pushed branch, where it is verified and
    the run is a push GitHub vouches for: a fork's code or a checked patch is only shown."""
    if fix.status != "verified" or not fix.files:
        return fix
    push, client, branch, why = _pull_place(ctx, facts)
    if push is None or client is None:
        ctx.note(f"No draft pull request for {code_span(fix.test, 120)}: {why}.")
        return fix
    test = fix.fixed_test  # a subtest's patch is its parent test's
    drafted = open_draft_pull(
        client,
        parent=push.after,
        into=branch,
        branch=f"cicd-agent/flaky-fix-{hashlib.sha256(test.encode()).hexdigest()[:12]}",
        checkout=ctx.options.repo_dir,
        files=dict(fix.files),
        message=commit_message(f"Fix the order-dependent test {test}"),
        title=posted(f"Fix the order-dependent test {test}"),
        body=posted("\n".join(fixes_lines([fix])), allowed_links=ctx.own_links),
    )
    if not drafted.url:
        ctx.note(f"No draft pull request for {code_span(fix.test, 120)}: {drafted.why_not}.")
    return replace(fix, pr_url=drafted.url)
