"""The publish step of analyse-failure: the excerpt file, a verified fix, one comment per
failure on the branch, and a Slack message per new one.

The comment carries two kinds of hidden marker: one per run that reported into it (a re-run of
the same run finds it and updates it) and one for the failure's signature on its branch (the
same failure in the next run updates it too, and lists the runs it was seen in, instead of
adding another comment: no alert floods). On a pull request the comment goes on the pull
request; otherwise on the head commit, and the commits of the branch's red runs since it last
passed are searched for an earlier comment to update.

A verified fix (:func:`publish_fix`) is only written here; what to write was decided before
(:mod:`.fix.outcome`). In order:

- the patch file under ``RUNNER_TEMP`` (``fix_patch_path``), always;
- on a pull request, one review whose comments are GitHub ``suggestion`` blocks, one per hunk
  whose lines all lie on the pull request's diff (GitHub only takes comments there); when any
  hunk does not, the comment shows the whole patch collapsed instead (:mod:`.fix.outcome`);
- with ``fix: pr``, a new branch ``cicd-agent/fix-<run id>`` made from the failed commit
  through the Git Data API (blobs, tree, commit, ref), holding exactly the verified files, and
  a draft pull request against the failed branch. Nothing is ever pushed to an existing
  branch: when the branch exists the run says so and opens nothing. A fork's pull request
  gets the suggestion only (its branch is not ours to open pull requests from).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import ExternalServiceError
from cicd_agent.actions.markdown import commit_message, posted, with_hidden
from cicd_agent.actions.notify import SlackText, post_message
from cicd_agent.actions.notify import slack_text as notify_slack_text
from cicd_agent.github.comments import Found, marker
from cicd_agent.job.draft_pull import open_draft_pull
from cicd_agent.job.suggested_patch import suggest_patch
from cicd_agent.local.audit import append, default_audit_path
from cicd_agent.modes.analyse_failure.fix.outcome import fix_label, fix_section
from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
from cicd_agent.modes.analyse_failure.rerun import ASKED

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.analyse_failure.fix.outcome import FixOutcome
    from cicd_agent.modes.analyse_failure.result import FailureResult
    from cicd_agent.modes.analyse_failure.types import FailureFacts, RunTarget

MAX_OCCURRENCES = 20
_RUN_MARK = re.compile(r"<!-- cicd-agent:analyse-failure:run:(\d+) -->")


def run_key(run_id: int) -> str:
    return f"analyse-failure:run:{run_id}"


def signature_key(branch: str, signature: str) -> str:
    """Branch names may hold any character; the key holds a digest of it."""
    digest = hashlib.sha256(branch.encode()).hexdigest()[:12]
    return f"analyse-failure:sig:{digest}:{signature}"


def publish(
    ctx: RunContext[AnalyseFailureOptions], facts: FailureFacts, result: FailureResult
) -> None:
    """Write the excerpt for later steps and the fix loop's steps to the audit file, offer a
    verified fix (as the result holds it), then comment and notify. What publishing learns (the
    fix's suggestions and pull request, the comment's link) goes into the run's record,
    ``ctx.posted``, as it lands, never into the decided result; a failure is raised, and what
    was recorded before it stays."""
    if result.excerpt_file:
        text = result.excerpt if result.excerpt.endswith("\n") else result.excerpt + "\n"
        Path(result.excerpt_file).write_text(text, encoding="utf-8")
    if result.fix is not None:
        _audit(ctx, result.fix)
    _rerun(ctx, facts, result)
    fix = result.fix
    if fix is not None and fix.status != "none":
        # Recorded however publishing it ends, so a failure part-way keeps what was posted.
        learnt = FixPosted()
        try:
            publish_fix(ctx, fix, facts.target, learnt)
        finally:
            ctx.posted.record(fix=learnt.on(fix))
    done = _comment(ctx, result.shown(ctx.posted.values), facts.target)
    if done is None:
        return
    comment_url, new, checked = done
    if comment_url:
        ctx.posted.record(comment_url=comment_url)
    # One Slack message per new failure signature (the comment lookup says whether it is new).
    url = ctx.mode_options.slack_webhook_url
    if not url:
        return
    if not new:
        ctx.note("The same failure was already reported on this branch: no Slack message sent.")
        return
    if not checked:
        ctx.note("Without GitHub, repeats of a failure cannot be recognised: Slack was notified.")
    post_message(url, slack_text(result.shown(ctx.posted.values)))


def _audit(ctx: RunContext[AnalyseFailureOptions], fix: FixOutcome) -> None:
    """Append the model loop's steps to the analyse-failure audit file (off a runner, nowhere).
    The audit is a record, not a gate: a write that fails is one note, and the rest is skipped."""
    path = default_audit_path(ctx.environ, "analyse-failure")
    if path is None:
        return
    for record in fix.audit:
        try:
            append(path, record, ctx.checkout.root, redact=ctx.redactor.redact)
        except OSError as exc:
            ctx.note(f"The audit file {path} could not be written: {exc.strerror}.")
            return


def _rerun(
    ctx: RunContext[AnalyseFailureOptions], facts: FailureFacts, result: FailureResult
) -> None:
    """Ask GitHub to re-run the failed jobs ``decide`` found due a re-run (:mod:`.rerun`), and
    record whether GitHub accepted."""
    target = facts.target
    if not result.rerun_due or target is None or target.run_id is None:
        return
    client = ctx.github  # asked only now: without a token, its note is for a run that needs it
    if client is None:
        return
    if client.rerun_failed_jobs(target.run_id):
        ctx.posted.record(rerun_requested=True, rerun_reason=ASKED)
        ctx.note(
            f"Every failure was infrastructure, on code from someone who can push: GitHub "
            f"was asked to re-run the failed jobs of run {target.run_id} once "
            f"(rerun-infrastructure: {ctx.mode_options.rerun_infrastructure})."
        )
    else:
        ctx.posted.record(rerun_reason="the token may not re-run jobs (actions: write)")
        ctx.note(
            "The failed jobs were not re-run: the token may not (the job needs `actions: write`)."
        )


def _comment(
    ctx: RunContext[AnalyseFailureOptions], result: FailureResult, target: RunTarget | None
) -> tuple[str, bool, bool] | None:
    """Comment on the pull request or commit; None when no Slack message may follow either.

    What commenting did, for the Slack message after it: where the comment is (empty: not
    posted), whether the failure is new on the branch, and whether GitHub said so."""
    if not result.failed_jobs or result.service_failure:
        return None
    if target is None or not target.head_sha:
        return "", True, False
    sig_key = signature_key(target.branch, result.signature)
    if ctx.options.dry_run:
        if not ctx.options.json:
            ctx.runner.show_untrusted(result.comment_markdown([]))
        ctx.note("Dry run: the comment was not posted and no Slack message was sent.")
        return None
    client = ctx.github
    if client is None:
        return "", True, False
    existing = _find(client, target, sig_key)
    same_failure = existing is not None and marker(sig_key) in existing.body
    occurrences = _occurrences(existing.body if existing and same_failure else "", target)
    shown = posted(
        result.comment_markdown([(run, url) for run, url in occurrences if run]),
        allowed_links=ctx.own_links,
        references=result.posted_references(),
    )
    body = with_hidden(shown, *(marker(run_key(run)) for run, _ in occurrences if run))
    if target.pull_requests:
        number = target.pull_requests[0]
        outcome = client.upsert_issue_comment(number, sig_key, body, found=existing)
    else:
        outcome = client.upsert_commit_comment(target.head_sha, sig_key, body, found=existing)
    url = outcome.url or ""
    if outcome.status == "skipped":
        ctx.note(f"Skipped {outcome.what}: {outcome.reason}")
        url = ""
    return url, not same_failure, True


def _find(client: GitHubClient, target: RunTarget, sig_key: str) -> Found | None:
    """This run's comment if there is one, else a comment about the same failure on the branch.
    Only comments we wrote count: a marker pasted by anyone else is ignored."""
    run_mark = marker(run_key(target.run_id)) if target.run_id is not None else None
    sig_mark = marker(sig_key)
    found: list[Found] = []
    if target.pull_requests:
        found = client.our_marked_comments(number=target.pull_requests[0])
    else:
        for sha in target.comment_shas or (target.head_sha,):
            found += client.our_marked_comments(sha=sha)
    if run_mark is not None:
        mine = next((c for c in found if run_mark in c.body), None)
        if mine is not None:
            return mine
    return next((c for c in reversed(found) if sig_mark in c.body), None)


def _occurrences(body: str, target: RunTarget) -> list[tuple[int, str]]:
    """The runs this failure was seen in (from the earlier comment), this one last."""
    runs = [int(found) for found in _RUN_MARK.findall(body)]
    if target.run_id is not None:
        runs = [run for run in runs if run != target.run_id] + [target.run_id]
    runs = runs[-MAX_OCCURRENCES:]
    url = target.html_url
    return [(run, re.sub(r"/runs/\d+", f"/runs/{run}", url) if url else "") for run in runs] or [
        (0, url)
    ]


def slack_text(result: FailureResult) -> SlackText:
    """Plain Slack text; log words are escaped so they cannot ping a channel or forge a link."""
    job = result.failed_jobs[0]
    where = f"job {job.name}" + (f", step {job.failed_step}" if job.failed_step else "")
    branch = f" on {result.branch}" if result.branch else ""
    flaky = {"true": " (looks flaky)", "likely": " (may be flaky)"}.get(result.is_flaky, "")
    return notify_slack_text(
        f"CI failure{branch}: {result.failure_type}{flaky} in {where}",
        result.root_cause,
        link=result.comment_url or result.run_url,
    )


BRANCH = "cicd-agent/fix-{run}"


@dataclass
class FixPosted:
    """What posting the fix learns, set as each part of it lands: publish's own value, never
    the decided fix (:class:`~.fix.outcome.FixOutcome` is frozen)."""

    pr_url: str = ""
    suggestions: int = 0
    suggestions_url: str = ""
    shown_in_comment: bool = True
    notes: list[str] = field(default_factory=list)

    def on(self, fix: FixOutcome) -> FixOutcome:
        """``fix`` as published: the decided fix with what posting it learnt."""
        return replace(
            fix,
            pr_url=self.pr_url,
            suggestions=self.suggestions,
            suggestions_url=self.suggestions_url,
            shown_in_comment=self.shown_in_comment,
            publish_notes=tuple(self.notes),
        )


def publish_fix(
    ctx: RunContext[AnalyseFailureOptions],
    outcome: FixOutcome,
    target: RunTarget | None,
    learnt: FixPosted,
) -> None:
    """Write the patch file, then suggest and open what ``outcome.requested`` asks for, setting
    what lands on ``learnt``.

    The pull request's tree is ``outcome.verified_files``: the verified files' text (None:
    deleted), a field no rendering of the result shows."""
    if outcome.patch_path:
        Path(outcome.patch_path).write_text(outcome.patch, encoding="utf-8")
    if target is None or not target.head_sha:
        return
    if outcome.status != "verified":  # the pull request's own code passed: no proof
        learnt.notes.append(
            "No suggestion or pull request was opened: the pass is no proof on the pull "
            "request's own code."
        )
        return
    if ctx.options.dry_run:
        learnt.notes.append("Dry run: no suggestion or pull request was posted.")
        return
    client = ctx.github
    if client is None:
        return
    try:
        if target.pull_requests:
            _suggest(client, outcome, target.pull_requests[0], target.head_sha, learnt)
        if outcome.requested != "pr":
            return
        if target.from_fork:
            learnt.notes.append(
                "The failed commit comes from a fork: the fix is offered as a suggestion only."
            )
            return
        _open_pull(ctx, client, outcome, target, learnt)
    except ExternalServiceError as exc:  # the analysis comment still goes out, saying so
        learnt.notes.append(f"Publishing the fix failed: {exc}")


def _suggest(
    client: GitHubClient, outcome: FixOutcome, number: int, head_sha: str, learnt: FixPosted
) -> None:
    label = fix_label(outcome)
    lead = (
        f"{label} (cicd-agent, in a sandbox): the failing command passes with it. Each "
        "suggestion can be committed from here."
    )
    offered = suggest_patch(client, number, head_sha, outcome.patch, label=label, lead=lead)
    if offered.count:
        learnt.suggestions, learnt.suggestions_url = offered.count, offered.url
        learnt.shown_in_comment = False
    elif offered.why_not:
        learnt.notes.append(f"The suggestions were not posted: {offered.why_not}")


def _open_pull(
    ctx: RunContext[AnalyseFailureOptions],
    client: GitHubClient,
    outcome: FixOutcome,
    target: RunTarget,
    learnt: FixPosted,
) -> None:
    """A new branch from the failed commit with the verified files, and a draft pull request
    whose body shows the fix as posted so far."""
    if target.run_id is None or not target.branch:
        learnt.notes.append("No pull request: the failed run has no id or branch.")
        return
    run = f"[run {target.run_id}]({target.html_url})" if target.html_url else f"run {target.run_id}"
    drafted = open_draft_pull(
        client,
        parent=target.head_sha,
        into=target.branch,
        branch=BRANCH.format(run=target.run_id),
        checkout=ctx.options.repo_dir,
        files=dict(outcome.verified_files),
        message=commit_message(f"Fix the failure of run {target.run_id}", f"{outcome.reason}."),
        title=posted(f"Fix the failure of run {target.run_id}"),
        body=posted(
            f"{fix_label(outcome)}: cicd-agent's patch for the failure of {run}, judged "
            "in a sandbox.\n\n" + fix_section(learnt.on(outcome), comment=True),
            allowed_links=ctx.own_links,
        ),
    )
    if drafted.url:
        learnt.pr_url = drafted.url
    else:
        learnt.notes.append(f"No pull request: {drafted.why_not}.")
