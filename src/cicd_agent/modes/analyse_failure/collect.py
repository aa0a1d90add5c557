"""Collect a failed run: its logs (scanned once), the change it tested, evidence about
flakiness.

Three ways in: a ``workflow_run`` event (or ``--run-id``) with the API; ``--logs PATH`` with no
API at all; or ``--logs`` from a later step of the failing job itself, where the
``pull_request``, ``push`` or ``merge_group`` event says what changed. GitHub is contacted
only when there is a run to talk about, and every read beyond the logs themselves is optional
evidence.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import GitHubError, UsageError
from cicd_agent.analysis.flaky_stats import FlakyStat, stats
from cicd_agent.github.trust import code_trust
from cicd_agent.job.events import PULL_REQUEST_EVENTS
from cicd_agent.job.payloads import from_other_repository
from cicd_agent.local.git import installed as git_installed
from cicd_agent.local.gitrepo import is_null_sha
from cicd_agent.local.test_history import (
    FileStore,
    history_key,
    shared_file,
    workflow_key,
)
from cicd_agent.modes.analyse_failure import runs
from cicd_agent.modes.analyse_failure.change import try_git_change
from cicd_agent.modes.analyse_failure.logs.analyse import scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from cicd_agent.modes.analyse_failure.types import (
    Change,
    FailureFacts,
    RecentFailure,
    RunTarget,
)

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.github.models import WorkflowRunInfo
    from cicd_agent.github.trust import Code
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions


def failed_code(ctx: RunContext[AnalyseFailureOptions], target: RunTarget | None) -> Code:
    """The code that wrote the failed run's log, as GitHub can be asked about it
    (:func:`~cicd_agent.github.trust.code_trust` decides): the failed run's head commit on its
    branch and the repository's default; with no failed run named (``--logs`` from a later step
    of the job), the code this run's checkout holds (``RunContext.checkout_code``). A fork's
    head names nothing GitHub could vouch for, nor does a run of any event but those GitHub
    records at the commit they run (:data:`PINNED_EVENTS`)."""
    from cicd_agent.github.trust import Code

    if target is None:
        return ctx.checkout_code()
    if target.from_fork or target.event not in PINNED_EVENTS:
        return Code()
    return Code(sha=target.head_sha, branches=(target.branch, target.default_branch))


PINNED_EVENTS = frozenset(
    {
        "merge_group",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "push",
        "schedule",
        "workflow_dispatch",
    }
)
"""Events whose run GitHub records at the commit their workflow runs unless it checks out
another ref itself: the pushed commit, the pull request's head (its repository names a fork's),
the queue's group, the head of the ref a writer dispatched or the schedule's default branch.
Every other event's run is recorded at the default (or base) branch's last commit whatever it
checked out, and several name a fork's commit for a workflow to check out: ``issue_comment``
(``/ok-to-test``), ``repository_dispatch`` (a chat-ops bot's ``client_payload``),
``check_suite``, ``check_run`` and ``status`` (a fork's checks or an outside CI's status),
``workflow_run``, ``pull_request_target``. There the commit asked about is not the code that
wrote the log, so the log is trusted with nothing; a list of the safe events, so an event
GitHub adds is not trusted by default. A writer's workflow that checks out another ref from
its inputs (``workflow_dispatch``, ``schedule``) is the residual the threat table names."""


_NO_LOGS = (
    "There are no logs to analyse: pass --logs PATH (a run-logs zip, a folder or a text file), "
    "or run on a workflow_run event (or with --run-id) with a GitHub token."
)
_DONE = ("success", "skipped", "neutral")
EXCERPT_NAME = "cicd-agent-failure-excerpt-{run}.txt"
PATCH_NAME = "cicd-agent-fix-{run}.patch"


def collect(ctx: RunContext[AnalyseFailureOptions]) -> FailureFacts:
    """Everything the analysis needs, as data. Downloads live in a scratch folder removed
    before this returns (the logs are scanned by then)."""
    options = ctx.mode_options
    if options.slack_webhook_url:
        ctx.runner.mask(options.slack_webhook_url)
    with tempfile.TemporaryDirectory(
        prefix="cicd-agent-failure-", dir=ctx.environ.get("RUNNER_TEMP") or None
    ) as scratch:
        facts = _collect(ctx, options, Path(scratch))
    return replace(
        facts,
        excerpt_path=str(ctx.runner_file(EXCERPT_NAME.format(run=_run_name(facts.target))) or ""),
        patch_path=temp_path(ctx, PATCH_NAME, facts.target),
        quarantine=ctx.repo_config.quarantine,  # the trusted commit's, never the head's
        code_is_proof=code_trust(failed_code(ctx, facts.target), ctx).code_is_proof,
    )


def temp_path(
    ctx: RunContext[AnalyseFailureOptions], pattern: str, target: RunTarget | None
) -> str:
    """Where ``publish`` writes the fix's patch: under ``$RUNNER_TEMP``
    (``RunContext.temp_file``), the run's id in its name. The excerpt, which only later steps
    of the job read, is written on a runner only (``RunContext.runner_file``)."""
    return str(ctx.temp_file(pattern.format(run=_run_name(target))))


def _run_name(target: RunTarget | None) -> str:
    return str(target.run_id) if target and target.run_id is not None else "local"


def _collect(
    ctx: RunContext[AnalyseFailureOptions], options: AnalyseFailureOptions, dest: Path
) -> FailureFacts:
    logs_path = options.logs
    event_run = ctx.event.workflow_run if ctx.has_event else None
    if event_run is not None and event_run.conclusion in _DONE and not logs_path:
        ctx.note(f"Workflow run {event_run.id} concluded {event_run.conclusion}: nothing failed.")
        return FailureFacts(None, [], [], None, None, ctx.today)
    wants_run = options.run_id is not None or event_run is not None
    client = ctx.github if wants_run or (ctx.has_event and ctx.github_token) else None
    if options.run_id is not None and client is None and not logs_path:
        raise UsageError("--run-id needs a GitHub token (input github-token or GITHUB_TOKEN).")
    target = _target(ctx, options.run_id, client)
    facts = FailureFacts(target, [], [], None, None, ctx.today, checkout=ctx.options.repo_dir)
    if logs_path:
        ctx.progress.say("reading the logs given")
        facts = replace(facts, scans=scan_jobs(load_logs(logs_path)))  # the one reading
    elif target is not None and target.run_id is not None and client is not None:
        run_id = target.run_id
        ctx.progress.say(f"downloading the failed jobs' logs of run {run_id}")
        infos, api_jobs, passed = runs.failed_jobs(client, run_id)
        facts = replace(facts, api_jobs=api_jobs, passed_jobs=passed)
        if not infos:
            ctx.note(f"The API lists no failed job in workflow run {run_id}.")
        else:  # the logs, or why they could not be downloaded
            try:
                logs = runs.download_logs(client, run_id, infos, dest, ctx.note)
                facts = replace(facts, scans=scan_jobs(logs))
            except GitHubError as exc:
                facts = replace(facts, logs_error=str(exc))
    else:
        raise UsageError(_NO_LOGS)
    ctx.progress.say(f"{len(facts.scans)} job log(s) read")
    stored, unread = _stored(ctx, target)  # the file: with or without the API
    facts = replace(facts, stored=stored, unread=unread)
    if client is None or target is None:
        # what a "No" rests on: this log, not the run's other attempts or the branch's runs
        api = (
            "the run's other attempts and the default branch's recent runs (no workflow run and "
            "token were given)"
        )
        unread = f"{unread}; {api}" if unread else api
        return replace(facts, unread=unread, change=_change(ctx, options, target, None, None))
    ctx.progress.say("reading the run's history: other attempts, recent runs, the change")
    return _gather_history(ctx, options, client, target, facts, dest=dest)


def _stored(
    ctx: RunContext[AnalyseFailureOptions], target: RunTarget | None
) -> tuple[tuple[FlakyStat, ...], str]:
    """The workflow's flaky tests by the test history store (the file the test step writes
    and a workflow keeps between runs), under the key the test step wrote them: the
    workflow's file. None when it holds nothing for this workflow or cannot be read; then,
    where the file is there, what was not read and why (the "Flaky? No" line says it)."""
    key = target.workflow_path if target is not None else history_key(ctx.environ)
    store = FileStore(shared_file(ctx.environ))
    if ctx.repository is None or not key:
        if not store.path.is_file():
            return (), ""
        missing = "GITHUB_REPOSITORY" if ctx.repository is None else "GITHUB_WORKFLOW_REF"
        return (), f"the test history, as {missing} is not set (it names whose runs to read)"
    try:
        kept = store.recent(ctx.repository, key)
    except OSError as exc:
        ctx.note(f"Could not read the test history ({exc.strerror}); the API's runs are used.")
        return (), f"the test history ({exc.strerror})"
    return tuple(stats(kept)), ""


def _target(
    ctx: RunContext[AnalyseFailureOptions], run_id: int | None, client: GitHubClient | None
) -> RunTarget | None:
    """The run to explain, from ``--run-id``, the workflow_run event or the job's own event."""
    event = ctx.event if ctx.has_event else None
    repository = event.repository if event is not None else None
    default_branch = (repository.default_branch or "") if repository is not None else ""
    if run_id is not None and client is not None:
        info = client.workflow_run(run_id)
        return RunTarget(
            run_id=info.id,
            attempt=info.run_attempt or 1,
            workflow_id=info.workflow_id,
            workflow_path=workflow_key(info.path),
            head_sha=info.head_sha,
            branch=info.head_branch,
            event=info.event,
            html_url=info.html_url,
            default_branch=default_branch or client.default_branch(),
            pull_requests=info.pull_request_numbers,
            from_fork=info.from_fork,
        )
    if event is not None and event.workflow_run is not None:
        run = event.workflow_run
        firsts = run.pull_requests[:1]
        return RunTarget(
            run_id=run.id,
            attempt=run.run_attempt or 1,
            workflow_id=run.workflow_id,
            workflow_path=workflow_key(run.path),
            head_sha=run.head_sha,
            branch=run.head_branch or "",
            event=run.event,
            html_url=run.html_url,
            default_branch=default_branch,
            pull_requests=tuple(p.number for p in run.pull_requests),
            pr_base_sha=firsts[0].base.sha if firsts else "",
            from_fork=from_other_repository(run.head_repository, event.repository),
        )
    return _job_target(ctx, client, default_branch)


def _job_target(
    ctx: RunContext[AnalyseFailureOptions], client: GitHubClient | None, default_branch: str
) -> RunTarget | None:
    """The run this step belongs to (``--logs`` from a later step of the failing job): a pull
    request's, a push's or a merge queue's (the group's commit, made on the queue's base)."""
    event = ctx.event if ctx.has_event else None
    if event is None or (
        event.pull_request is None and event.push is None and event.merge_group is None
    ):
        return None
    run_id = _int(ctx.environ.get("GITHUB_RUN_ID"))
    workflow_id: int | None = None
    if client is not None and run_id is not None:
        info = runs.optional(
            "this workflow run", lambda: client.workflow_run(run_id), None, ctx.note
        )
        workflow_id = info.workflow_id if info is not None else None
    url = (
        f"{ctx.server_url}/{ctx.repository}/actions/runs/{run_id}"
        if run_id and ctx.repository
        else ""
    )
    common = {
        "run_id": run_id,
        "attempt": _int(ctx.environ.get("GITHUB_RUN_ATTEMPT")) or 1,
        "workflow_id": workflow_id,
        "workflow_path": history_key(ctx.environ),
        "event": event.name or "",
        "html_url": url,
        "default_branch": default_branch,
    }
    if event.pull_request is not None:
        pull = event.pull_request
        return RunTarget(
            head_sha=pull.head.sha,
            branch=pull.head.ref,
            pull_requests=(pull.number,),
            pr_base_sha=pull.base.sha,
            from_fork=pull.is_fork,
            **common,  # type: ignore[arg-type]
        )
    if event.merge_group is not None:
        group = event.merge_group
        return RunTarget(
            head_sha=group.head_sha,
            branch=group.head_ref.removeprefix("refs/heads/"),
            pr_base_sha=group.base_sha,
            **common,  # type: ignore[arg-type]
        )
    assert event.push is not None
    return RunTarget(
        head_sha=event.push.after,
        branch=event.push.ref.removeprefix("refs/heads/"),
        pr_base_sha="" if is_null_sha(event.push.before) else event.push.before,
        **common,  # type: ignore[arg-type]
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _gather_history(
    ctx: RunContext[AnalyseFailureOptions],
    options: AnalyseFailureOptions,
    client: GitHubClient,
    target: RunTarget,
    facts: FailureFacts,
    *,
    dest: Path,
) -> FailureFacts:
    """``facts`` with the pull requests, the last green run, the change, the baseline log and
    the flakiness evidence."""
    note = ctx.note
    pulls = target.pull_requests
    if not pulls and target.event in PULL_REQUEST_EVENTS and target.head_sha:
        pulls = runs.optional(
            "the pull requests of the head commit",
            lambda: runs.pulls_of_commit(client, target.head_sha),
            (),
            note,
        )
    last_success: WorkflowRunInfo | None = None
    failed_since: list[WorkflowRunInfo] = []
    workflow = target.workflow_id
    if workflow is not None and target.branch:
        nothing: tuple[WorkflowRunInfo | None, list[WorkflowRunInfo]] = (None, [])
        last_success, failed_since = runs.optional(
            f"the recent runs on {target.branch}",
            lambda: runs.branch_history(client, workflow, target.branch, target.run_id),
            nothing,
            note,
        )
    shas = dict.fromkeys([target.head_sha, *(r.head_sha for r in failed_since)])
    target = replace(target, pull_requests=pulls, comment_shas=tuple(s for s in shas if s))
    facts = replace(
        facts, target=target, change=_change(ctx, options, target, last_success, client)
    )
    names = [scan.name for scan in facts.scans]
    if workflow is None or not names:
        return facts
    green = last_success or runs.optional(
        f"the last green run on {target.default_branch}",
        lambda: runs.last_success(client, workflow, target.default_branch),
        None,
        note,
    )
    if green is not None:
        baseline = runs.optional(
            f"the log of the last green run ({green.html_url})",
            lambda: runs.baseline_index(client, green, names, dest),
            None,
            note,
        )
        facts = replace(facts, baseline_url=green.html_url, baseline=baseline)
    if target.run_id is not None:
        run_id = target.run_id
        passed = runs.optional(
            "the other attempts of this run",
            lambda: runs.other_attempt_passed(client, run_id, target.attempt),
            False,
            note,
        )
        history = runs.test_history(client, target, names, dest, note)
        facts = replace(facts, other_attempt_passed=passed, history=history)
    if target.default_branch:
        recent: list[RecentFailure] = runs.optional(
            f"recent runs on {target.default_branch}",
            lambda: runs.recent_default_failures(
                client,
                workflow,
                target.default_branch,
                names,
                exclude=target.run_id,
                dest=dest,
            ),
            [],
            note,
        )
        facts = replace(facts, recent_failures=recent)
    return facts


def _change(
    ctx: RunContext[AnalyseFailureOptions],
    options: AnalyseFailureOptions,
    target: RunTarget | None,
    last_success: WorkflowRunInfo | None,
    client: GitHubClient | None,
) -> Change | None:
    """The change under test: ``--base``/``--head``, else the last green run or the PR's base."""
    head: str | None = options.head or (target.head_sha if target else None)
    if not head and options.base:
        head = "HEAD"  # --base alone: the range up to the checkout's commit
    if not head:
        if target is None:
            ctx.note("No change range (no event, --base or --head): no changed line can be blamed.")
        return None
    base: str | None = options.base
    if base is None and last_success is not None and last_success.head_sha != head:
        base = last_success.head_sha
    if base is None and target is not None and target.pr_base_sha:
        base = target.pr_base_sha
    change, problem = try_git_change(lambda: ctx.checkout, head, base)
    if change is not None:
        return change
    pulls = target.pull_requests if target is not None else ()
    if client is not None and pulls:
        files = runs.optional(
            f"the files of pull request #{pulls[0]}",
            lambda: tuple(f.filename for f in client.changed_files(pulls[0])),
            None,
            ctx.note,
        )
        if files is not None:
            return Change(base=base, head=head, files=files, source="api")
    if not git_installed():
        ctx.tool("git", "it is not installed; install git on the runner, on PATH")
    ctx.note(f"The change under test could not be read from git ({problem}).")
    return None
