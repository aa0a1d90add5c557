"""``cicd-agent test-step -- COMMAND...`` (or the action's ``mode: test-step`` with its
``command`` input): the job's test step, its failed tests retried, the quarantine honoured.

The wiring, top to bottom: the run's facts (the event, whom the code came from, the base's
quarantine), the workflow's command run with its retries (:mod:`.attempts`), the verdict
(:func:`.judge.judge_step`, pure), with ``fix-flaky`` each flaky test classified and an
order-dependent one fixed in the sandbox (:func:`fix`, :mod:`.fixer`), and publish: a
default-branch push's outcomes added to the
test history under the workflow's key (:func:`cicd_agent.local.test_history.history_key`, the
key analyse-failure reads) and, with ``issues``, one issue per flaky test. The step exits 0
when it passes, 1 when it fails, 2 on bad usage.

Trust: a push is pushed code while the checkout holds the pushed commit
(``RunContext.push_trust``); a merge queue's group is GitHub's answer for the commit checked out;
a pull request's is GitHub's answer for it (with the job's token: a same-repository head whose
author can push), so the base's quarantine keeps a writer's pull request green. With no event (a
run on a terminal) or no answer, who wrote the code cannot be told: no retry and no quarantine
excuses a failure, and the summary says which it was.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cicd_agent.actions.errors import CicdError, ExitCode, ExternalServiceError, UsageError
from cicd_agent.actions.markdown import code_span, commit_message, posted, prose
from cicd_agent.analysis.flaky_stats import FlakyStat, StoredRun, stats
from cicd_agent.github.trust import Trust, code_trust
from cicd_agent.job.draft_pull import open_draft_pull
from cicd_agent.job.pipeline import announce_analyse, begin, finish
from cicd_agent.job.repo_config import quarantine_at, trusted_commit
from cicd_agent.job.suggested_patch import suggest_patch
from cicd_agent.local.test_history import FileStore, history_file, history_key, may_record
from cicd_agent.modes.test_step.attempts import in_tmp, run_attempts, runner_of
from cicd_agent.modes.test_step.flaky_issues import own
from cicd_agent.modes.test_step.judge import analyse, passed_on_retry
from cicd_agent.modes.test_step.quarantine_pr import propose
from cicd_agent.modes.test_step.result import TestStepResult, decide, fixes_lines, seen_lines
from cicd_agent.modes.test_step.types import FlakyFix, StepFacts, StepVerdict
from cicd_agent.plugins import plugin_sections
from cicd_agent.runners.lookups import file_of_test
from cicd_agent.sandbox.step import read_change

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.events import Event
    from cicd_agent.job.payloads import Push
    from cicd_agent.modes.test_step.options import TestStepOptions

NAME = "test-step"
SANDBOX_PATH = (
    "The tests ran in the sandbox, in a copy of the checkout at another path: a test that "
    "expects its own file's path (a stack trace's, a golden file's) fails there, not on the "
    "runner, and so does one writing a fixed `/tmp/...` path (`/tmp` cannot be written there; "
    "the folder `TMPDIR` names, which each language's temporary-file call uses, can)."
)
"""Said when a step run in the sandbox failed: the copy is not bound at the checkout's path
(its linked folders, a virtualenv or ``node_modules``, are links to the checkout's)."""


def run(ctx: RunContext[TestStepOptions]) -> tuple[TestStepResult, ExitCode]:
    begin(ctx)
    options = ctx.mode_options
    facts = collect(ctx)
    announce_analyse(ctx)
    verdict = analyse(facts, ctx.today, options.flaky)
    fixes = fix(ctx, facts, verdict) if options.fix_flaky != "off" else []
    if options.quarantine_pr:
        quarantine(ctx, facts, verdict, fixes)
    result = decide(verdict, options.command, fixes)
    result, code = finish(ctx, result, lambda decided: publish(ctx, facts, decided))
    if code is ExitCode.OK and not result.passed:
        code = ExitCode.POLICY  # the step's own verdict: its tests failed
    return result, code


def collect(ctx: RunContext[TestStepOptions]) -> StepFacts:
    """Whom the event's code came from, the quarantine at the trusted commit (the base, never
    the pull request's tree), then the workflow's command and its retries, run."""
    event = ctx.event
    trusted = trusted_commit(event, None)
    entries = quarantine_at(ctx.options.repo_dir, trusted, ctx.today, plugin_sections())
    trust, unsure = _trust(ctx, event)
    options = ctx.mode_options
    _named_program(options.command[0], ctx.options.repo_dir)
    ctx.progress.say(f"running {shlex.join(options.command)[:80]}")
    pull, push, group = event.pull_request, event.push, event.merge_group
    base, head = (
        (pull.base.sha, pull.head.sha)
        if pull is not None
        else (push.before, push.after)
        if push is not None
        else (group.base_sha, group.head_sha)
        if group is not None
        else (None, None)
    )
    row = runner_of(options.command)
    sees = row.tracer.step_sees if row is not None and row.tracer is not None else _sees_nothing
    change, unread = (
        read_change(base, head, ctx.options.repo_dir, sees)
        if row is not None
        else read_change(base, head, ctx.options.repo_dir)
    )
    started = time.monotonic()
    attempts = run_attempts(
        options.command,
        options.retries,
        cwd=ctx.options.repo_dir,
        run=ctx,
        trusted=trust.code_is_proof,
        change=change,
        say=ctx.progress.say,
    )
    spent = round(time.monotonic() - started, 1)
    if not trust.code_is_proof and any(attempt.exit_status for attempt in attempts):
        ctx.note(SANDBOX_PATH)
        refused = attempts[0].refused if attempts else ()
        if tmp := [test for test, path in refused if in_tmp(path)]:
            named = ", ".join(code_span(test, 200) for test in tmp[:5])
            more = f" and {len(tmp) - 5} more" if len(tmp) > 5 else ""
            ctx.note(
                f"{len(tmp)} failed test(s) were refused a write to a fixed `/tmp` path "
                f"(PermissionError, EACCES or EROFS), which the sandbox does not allow: "
                f"{named}{more}."
            )
        if host := [(test, path) for test, path in refused if not in_tmp(path)]:
            named = ", ".join(f"{code_span(t, 200)} ({code_span(p, 200)})" for t, p in host[:5])
            more = f" and {len(host) - 5} more" if len(host) > 5 else ""
            ctx.note(
                f"{len(host)} failed test(s) were refused a write to a path on the host, "
                f"which the sandbox shows read-only (docs/sandbox.md): {named}{more}. Write "
                "under the folder the tests run in (a relative path) or the one `$TMPDIR` "
                "names instead; outside the sandbox the write may pass, and the test with "
                "it."
            )
    if row is not None:  # as gen-tests lists its runner; the run's own verdict says the rest
        ctx.tool(row.name)
    return StepFacts(
        trust,
        unsure,
        entries,
        trusted,
        tuple(attempts),
        spent,
        change,
        unread,
        tuple(_history(ctx)),
    )


def _sees_nothing(path: str) -> bool:
    """A runner that keeps no record of which tests ran a changed line sees no file's lines."""
    return False


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


def _named_program(program: str, checkout: Path) -> None:
    """A program named by its path (``./run-tests``) that is no file, relative to the
    checkout, is a usage error naming that path: no search of the PATH is made for it, so the
    sandbox's "not found (on the PATH)" would mislead."""
    if "/" not in program:
        return
    where = Path(program) if os.path.isabs(program) else checkout / program
    if not os.path.lexists(where):
        raise UsageError(
            f"The test command's program {program} is no file (looked for {where}).",
            hint="Name it by its path from the checkout's root, "
            "or by its name alone to have it found on the PATH.",
        )


def _history(ctx: RunContext[TestStepOptions]) -> list[FlakyStat]:
    """The flaky report of this workflow's history on the default branch (none without a
    repository to key it)."""
    repository = ctx.event.repository
    if repository is None or not repository.full_name:
        return []
    store = FileStore(history_file(ctx.environ, ctx.options.repo_dir))
    return stats(store.recent(repository.full_name, history_key(ctx.environ)))


def _trust(ctx: RunContext[TestStepOptions], event: Event) -> tuple[Trust, str]:
    """Whom the checkout's code came from, and why it cannot be told ("" when it can). A pull
    request or a merge group is GitHub's answer, through the one decision every mode's trust
    rests on (:func:`~cicd_agent.github.trust.code_trust`); a push is the push event's word
    (``RunContext.push_trust``). Stricter than ``code_trust`` where a failure would be excused:
    no event, or another event, vouches for nothing (a terminal's checkout is not taken as
    pushed code, nor a dispatch's checkout as the branch's)."""
    if event.push is not None:
        trust = ctx.push_trust()
        return trust, "" if trust.code_is_proof else "The push event does not vouch for this code"
    if event.merge_group is not None:
        # What a writer queued may be a fork's code, and the workflow may check out any commit:
        # GitHub's answer for the commit checked out (an open pull request's, or the queue's
        # branch).
        trust = code_trust(ctx.checkout_code(), ctx)
        vouched = trust.code_is_proof or bool(trust.author)  # else no pull request or branch has it
        return trust, "" if vouched else "GitHub does not vouch for the merge group's commit"
    if not ctx.has_event:
        return Trust.unknown(), (
            "No event says who wrote this code (a run outside a workflow, or without --event)"
        )
    if event.pull_request is None:
        return (
            Trust.unknown(),
            f"A {event.name or 'run of this'} event does not say who wrote the code",
        )
    if not ctx.github_token:
        return Trust.unknown(), (
            "Who wrote this pull request's code could not be asked (no GitHub token)"
        )
    try:
        return code_trust(ctx.checkout_code(), ctx), ""
    except CicdError as error:
        return Trust.unknown(), f"GitHub did not answer who wrote this pull request ({error})"


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
        )
    )
    history = store.recent(repository.full_name or "", key)
    found = stats(history)
    names = {canonical: own for attempt in attempts for canonical, own in attempt.names.items()}
    lines = seen_lines(found, ctx.environ, names)
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


class TestStepMode:
    """The test step as the CLI runs it."""

    __test__ = False
    name = NAME
    fail_closed_outputs: Mapping[str, str] = {"step_result": "failed"}

    def run(self, ctx: RunContext[Any]) -> tuple[TestStepResult, ExitCode]:
        return run(ctx)

    def failure_outputs(self, ctx: RunContext[Any]) -> dict[str, str]:
        return {}


MODE = TestStepMode()
