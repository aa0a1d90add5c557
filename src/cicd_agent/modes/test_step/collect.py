"""test-step's collect: whom the event's code came from, the base's quarantine, the workflow's
command run with its retries (:mod:`.attempts`), and this workflow's flaky report from the test
history.

Trust: a push is pushed code while the checkout holds the pushed commit
(``RunContext.push_trust``); a merge queue's group is GitHub's answer for the commit checked out;
a pull request's is GitHub's answer for it (with the job's token: a same-repository head whose
author can push), so the base's quarantine keeps a writer's pull request green. With no event (a
run on a terminal) or no answer, who wrote the code cannot be told: no retry and no quarantine
excuses a failure, and the summary says which it was.
"""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import CicdError, UsageError
from cicd_agent.actions.markdown import code_span
from cicd_agent.analysis.flaky_stats import FlakyStat, stats
from cicd_agent.github.trust import Trust, code_trust
from cicd_agent.job.repo_config import quarantine_at, trusted_commit
from cicd_agent.local.test_history import FileStore, history_file, history_key
from cicd_agent.modes.test_step.attempts import in_tmp, run_attempts, runner_of
from cicd_agent.modes.test_step.types import StepFacts
from cicd_agent.plugins import plugin_sections
from cicd_agent.sandbox.step import read_change

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.events import Event
    from cicd_agent.modes.test_step.options import TestStepOptions

SANDBOX_PATH = (
    "The tests ran in the sandbox, in a copy of the checkout at another path: a test that "
    "expects its own file's path (a stack trace's, a golden file's) fails there, not on the "
    "runner, and so does one writing a fixed `/tmp/...` path (`/tmp` cannot be written there; "
    "the folder `TMPDIR` names, which each language's temporary-file call uses, can)."
)
"""Said when a step run in the sandbox failed: the copy is not bound at the checkout's path
(its linked folders, a virtualenv or ``node_modules``, are links to the checkout's)."""


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
