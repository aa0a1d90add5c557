"""The publish step of analyse-failure: the excerpt file, the fix, one comment per failure on
the branch, and a Slack message per new one.

The comment carries two kinds of hidden marker: one per run that reported into it (a re-run of
the same run finds it and updates it) and one for the failure's signature on its branch (the
same failure in the next run updates it too, and lists the runs it was seen in, instead of
adding another comment: no alert floods). On a pull request the comment goes on the pull
request; otherwise on the head commit, and the commits of the branch's red runs since it last
passed are searched for an earlier comment to update.

A fix is written only from here, by the fix step's own publishing
(:func:`.fix.publish.publish_fix`): it appends the fix loop's steps to the audit file and
writes the patch file for a verified fix and for one that passes without proof; only a
verified fix is suggested or opened as a pull request. What to write was decided before
(:mod:`.fix.outcome`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import posted, with_hidden
from cicd_agent.actions.notify import SlackText, post_message
from cicd_agent.actions.notify import slack_text as notify_slack_text
from cicd_agent.github.comments import Found, marker
from cicd_agent.modes.analyse_failure.fix.publish import publish_fix
from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
from cicd_agent.modes.analyse_failure.rerun import ASKED

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.job.context import RunContext
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
    """Write the excerpt for later steps, hand the fix (as the result holds it) to the fix
    step's own publishing (its audit records, its patch file, a verified fix's suggestion or
    pull request), then comment and notify. What publishing learns (the
    fix's suggestions and pull request, the comment's link) goes into the run's record,
    ``ctx.posted``, as it lands, never into the decided result; a failure is raised, and what
    was recorded before it stays."""
    if result.excerpt_file:
        text = result.excerpt if result.excerpt.endswith("\n") else result.excerpt + "\n"
        Path(result.excerpt_file).write_text(text, encoding="utf-8")
    if result.fix is not None:
        publish_fix(ctx, result.fix, facts.target)
    _rerun(ctx, facts, result)
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
