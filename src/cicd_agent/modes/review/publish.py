"""Publish a review: one review, one check run, one summary comment updated in place.

Order matters: the review first (so the summary can link it), then the check run, then the
summary comment, whose hidden ledger records the head commit only once its review was posted.
GitHub can still refuse a review (422) that passed our placement checks — most often because
the pull request moved on while we worked. Then each inline comment is checked on its own in a
pending review that nobody sees and that is deleted at once, the refused ones go into the body,
and the review is posted again: one bad comment never sinks the review. A refused approval
(repositories may forbid Actions to approve) is posted as a comment instead: the ``decision``
output stays what was decided, ``review_event`` says what GitHub took, and a note says why.

What posting learns goes into the run's record (``ctx.posted``) as each post lands; the check
run and the summary comment render the decided result with it (``ReviewResult.shown``).

Fork pull requests get a read-only token and no secrets: nothing is attempted, and the summary
explains the two-workflow pattern that can publish safely.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import GitHubError
from cicd_agent.actions.markdown import posted, with_hidden
from cicd_agent.analysis.finding_text import MARKER, body_item
from cicd_agent.github.limits import PULL_BODY_MAX
from cicd_agent.github.models import Annotation as CheckAnnotation
from cicd_agent.github.models import ReviewComment, ReviewEvent, WriteOutcome
from cicd_agent.job.change_reader import DescribeOutcome
from cicd_agent.job.decisions import record_decision
from cicd_agent.job.pipeline import as_shown
from cicd_agent.modes.review.ledger import Known, Ledger
from cicd_agent.modes.review.options import ReviewOptions
from cicd_agent.modes.review.result import SUMMARY_KEY, InlineNote, ReviewResult
from cicd_agent.modes.review.sarif import write_sarif
from cicd_agent.modes.review.types import PublishPlan

if TYPE_CHECKING:
    from collections.abc import Collection

    from cicd_agent.actions.markdown import Neutral
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.job.context import RunContext

CHECK_NAME = "cicd-agent / review"
FORK_NOTE = (
    "This pull request comes from a fork, so its workflow runs with a read-only token and no "
    "secrets: nothing was posted to GitHub, and the findings are in the annotations and this "
    "summary. To comment on fork pull requests safely, run the review on `pull_request` "
    "(no secrets), upload the result as an artifact, and publish it from a separate "
    "`workflow_run` workflow that treats the artifact as untrusted data "
    "(examples/workflows/fork-safe-review.yml)."
)
_EVENTS: dict[str, ReviewEvent] = {
    "approve": "APPROVE",
    "comment": "COMMENT",
    "request_changes": "REQUEST_CHANGES",
}


REFUSED_APPROVAL = (
    "GitHub did not accept an approval from this token (repositories can forbid Actions to "
    "approve pull requests); the review was posted as a comment (output review_event)."
)


def publish(ctx: RunContext[ReviewOptions], result: ReviewResult, plan: PublishPlan) -> None:
    """The publish step: the SARIF file, the result file for the fork-safe publishing workflow
    when asked for, then the review on GitHub. What posting learns (addresses, the event
    GitHub took, comments it refused) goes into ``ctx.posted`` as each post lands, so the
    outputs say what was posted even when a later post fails (raised); the decided result is
    left as it was."""
    if result.sarif_file:
        write_sarif(Path(result.sarif_file), result.reported, ctx.options.repo_dir)
        ctx.note(
            f"SARIF 2.1.0 file of the {len(result.reported)} reported finding(s) written to "
            f"`{result.sarif_file}` (upload it with github/codeql-action/upload-sarif)."
        )
    else:
        ctx.note(
            "No SARIF file was written: off a runner it is written only where --sarif-file names."
        )
    path = ctx.mode_options.result_file
    if path is not None:
        # Step 1 of the fork-safe pattern: the result as a file for the publishing workflow
        # (its module, with the file's schema, is loaded only then).
        from cicd_agent.modes.review.handoff.file import write_result_file

        omitted = write_result_file(path, result, ctx.redactor.redact, ctx.options.repo_dir)
        left_out = f" ({omitted} lower-severity finding(s) left out to keep it small)"
        ctx.note(
            f"The result was written to {path}{left_out if omitted else ''} for the publishing "
            "workflow (publish-from), which posts it with a write token."
        )
    _post(ctx, result, plan, handed_off=path is not None)


def _post(
    ctx: RunContext[ReviewOptions], result: ReviewResult, plan: PublishPlan, *, handed_off: bool
) -> None:
    """Record the verdict and its evidence (when an audit database is configured), whether or
    not anything can be posted (fork, dry run), then show the dry-run Markdown, or post the
    review, check run and summary comment."""
    record = {name: value for name, value in result.fields_json().items() if name in _RECORDED}
    record_decision(
        ctx,
        ctx.mode_options.audit_database_url,
        phase="review",
        decision=str(result.decision),
        record=record,
        risk_level=result.risk_level,
        head_sha=result.head,
    )
    if ctx.options.dry_run and not ctx.options.json:
        ctx.runner.show_untrusted(result.dry_run_markdown())
    if plan.number is None:
        _gate_merge_group(ctx, result, plan)
        return
    if plan.read_only:
        if not handed_off:
            ctx.note(FORK_NOTE)
        return
    if ctx.options.dry_run:
        return
    client = ctx.github
    if client is None:
        return
    ledger = list(plan.previous.heads)
    if plan.already_reviewed:
        ctx.note(
            f"Commit {plan.head[:12]} was already reviewed; no second review was posted, the "
            "check run and the summary comment were updated."
        )
    else:
        outcome, event = _post_review(ctx, client, result, plan)
        _report(ctx, outcome)
        if outcome.done:
            ctx.posted.record(review_url=outcome.url, review_event=event)
            ledger.append(plan.head)
            if outcome.id is not None:  # else the new review cannot be told from the earlier
                _hide_earlier_reviews(ctx, client, plan.number, outcome.id)
        else:  # no review this run: none of its findings counts as posted
            ctx.posted.record(posted_fingerprints=[])
    # A failed check run must not keep the ledger from being written: a re-run would post
    # the review a second time. The failure is raised once the summary comment is out.
    check_run_failure: GitHubError | None = None
    try:
        _report(ctx, _check_run(client, result.shown(ctx.posted.values), plan, ctx.own_links))
    except GitHubError as exc:
        check_run_failure = exc
    _close_fixed_threads(ctx, client, result, plan)
    described = _describe(ctx, client, result, plan)
    shown = as_shown(ctx, result)
    memory = Ledger(tuple(ledger), _known(shown, plan), described)
    summary = client.upsert_issue_comment(
        plan.number, SUMMARY_KEY, shown.summary_comment(memory, ctx.own_links), found=plan.summary
    )
    _report(ctx, summary)
    ctx.posted.record(summary_url=summary.url)
    if check_run_failure is not None:
        raise check_run_failure


_RECORDED = set(
    {"decision", "risk_level", "risk_reasons", "findings", "pull_request", "base", "head"}
    | {"files_changed", "reviewed_files", "model_calls", "fail_on"}
)
"""What the database row keeps of a review: the verdict and the evidence behind it."""


def _close_fixed_threads(
    ctx: RunContext[ReviewOptions],
    client: GitHubClient,
    result: ReviewResult,
    plan: PublishPlan,
) -> None:
    """Resolve the threads of the findings this push fixed (reported last run, not now), or
    hide them as outdated where the token may not resolve; the summary says what it could not
    do. A failure here costs the threads, never the summary comment."""
    assert plan.number is not None
    fixed = [fp for fp in plan.previous.findings if fp not in result.fingerprints]
    try:
        outcomes = [
            client.close_review_thread(thread)
            for thread in client.open_review_threads(plan.number, MARKER, fixed)
        ]
    except GitHubError as exc:
        ctx.note(f"The review threads of fixed findings were left open: {exc.message}")
        return
    resolved = sum(o.done and o.what.startswith("resolving") for o in outcomes)
    hidden = sum(o.done for o in outcomes) - resolved
    refused = [o.reason for o in outcomes if o.status == "skipped"]
    if resolved:
        ctx.note(f"{resolved} review thread(s) of findings fixed since were resolved.")
    if hidden:
        ctx.note(
            f"{hidden} review comment(s) of findings fixed since were hidden as outdated: the "
            "token may not resolve their threads."
        )
    if refused:
        ctx.note(
            f"{len(refused)} review thread(s) of findings fixed since were left open: "
            f"{refused[0]}. Resolving needs `pull-requests: write`."
        )


def _hide_earlier_reviews(
    ctx: RunContext[ReviewOptions], client: GitHubClient, number: int, latest: int
) -> None:
    """Hide our earlier review bodies as outdated: the one just posted is the verdict now. A
    failure here costs the hiding, never the summary comment."""
    try:
        outcomes = client.hide_earlier_reviews(number, latest)
    except GitHubError as exc:
        ctx.note(f"Earlier reviews were left as they were: {exc.message}")
        return
    if hidden := sum(o.done for o in outcomes):
        ctx.note(f"{hidden} earlier review(s) of this pull request were hidden as outdated.")
    if refused := [o.reason for o in outcomes if o.status == "skipped"]:
        ctx.note(f"{len(refused)} earlier review(s) were left shown: {refused[0]}.")


def _describe(
    ctx: RunContext[ReviewOptions],
    client: GitHubClient,
    result: ReviewResult,
    plan: PublishPlan,
) -> str:
    """Write the description into the body when asked to and allowed; else it goes into the
    summary comment. Returns the digest to record (the earlier one when the body was not
    touched, so the section placed before is still recognised next time)."""

    if not result.description or result.description_in != "body":
        return plan.previous.described
    assert plan.number is not None
    try:
        described = posted(result.description, allowed_links=ctx.own_links)
        outcome = write_to_body(client, plan.number, described, [plan.previous.described])
    except GitHubError as exc:
        outcome_reason = exc.message
    else:
        if outcome.written_to == "body":
            return outcome.digest
        outcome_reason = outcome.reason
    ctx.posted.record(description_in="comment")
    ctx.note(
        f"The description could not be written into the pull request's body ({outcome_reason}); "
        "it is in this comment instead."
    )
    return plan.previous.described


def write_to_body(
    client: GitHubClient, number: int, markdown: Neutral, placed: Collection[str]
) -> DescribeOutcome:
    """Put ``markdown`` (neutral text) into the pull request's body: replace the section we
    placed before (``placed``: digests from our ledger), else append it. The body is read again
    right before the edit, so an edit the author made while we worked is kept."""
    body = client.pull_body(number, markdown, placed)
    new = body.placing
    if len(new.body) > PULL_BODY_MAX:
        return DescribeOutcome(markdown, "none", "the body would pass GitHub's size limit")
    if new.body == body.answered:  # nothing changed: no edit, no `edited` event, no notification
        return DescribeOutcome(markdown, "body", digest=new.digest)
    outcome = client.edit_pull_body(body)
    if not outcome.done:
        return DescribeOutcome(markdown, "none", outcome.reason or outcome.status)
    return DescribeOutcome(markdown, "body", digest=new.digest)


def _known(result: ReviewResult, plan: PublishPlan) -> dict[str, Known]:
    """The findings to remember: each reported one, and whether it has been posted."""
    posted = {fp for fp, known in plan.previous.findings.items() if known.posted}
    posted |= set(result.posted_fingerprints)
    return {
        fp: Known(source="m" if source == "m" else "d", posted=fp in posted)
        for fp, source in result.fingerprints.items()
    }


def _report(ctx: RunContext[ReviewOptions], outcome: WriteOutcome) -> None:
    if outcome.status == "skipped":
        ctx.note(f"Skipped {outcome.what}: {outcome.reason}")


def _post_review(
    ctx: RunContext[ReviewOptions],
    client: GitHubClient,
    result: ReviewResult,
    plan: PublishPlan,
) -> tuple[WriteOutcome, ReviewEvent]:
    """Post the review, and the event GitHub took: a refused approval goes again as a comment,
    then a refused review again with the inline comments GitHub would not place moved into
    its body; a refusal after both is raised."""
    assert plan.number is not None
    number = plan.number
    links = ctx.own_links
    event = _EVENTS[result.decision]
    moved = False
    while True:
        shown = result.shown(ctx.posted.values)  # with the comments moved so far
        try:
            outcome = client.post_review(
                number,
                body=posted(shown.review_body(), allowed_links=links),
                event=event,
                comments=[_comment(c, links) for c in shown.comments],
                commit_sha=plan.head,
            )
        except GitHubError as exc:
            if exc.status != 422 or moved:
                raise
            if event == "APPROVE":
                ctx.note(REFUSED_APPROVAL)
                event = "COMMENT"
                continue
            _move_refused_comments(ctx, client, result, plan, exc)
            moved = True
            continue
        return outcome, event


def _move_refused_comments(
    ctx: RunContext[ReviewOptions],
    client: GitHubClient,
    result: ReviewResult,
    plan: PublishPlan,
    refusal: GitHubError,
) -> None:
    """Check each inline comment on its own; move the refused ones into the review body."""
    assert plan.number is not None
    kept: list[InlineNote] = []
    refused: list[InlineNote] = []
    for comment in result.comments:
        accepted = client.probe_review_comment(
            plan.number, _comment(comment, ctx.own_links), plan.head
        )
        (kept if accepted else refused).append(comment)
    if not refused:  # GitHub refused the review but no single comment: keep none inline
        refused, kept = kept, []
    moved = [body_item(c.body, c.path, c.line) for c in refused]
    ctx.posted.record(
        comments=kept, body_items=[*result.body_items, *moved], rejected_comments=len(moved)
    )
    ctx.note(
        f"GitHub refused the review ({refusal.message}); {len(refused)} inline comment(s) it "
        "would not place were moved into the review body."
    )


def _comment(note: InlineNote, links: tuple[str, ...]) -> ReviewComment:
    """The inline comment as posted: its text neutralised last, then its hidden marker."""
    marker = MARKER.search(note.body)
    text = note.body[: marker.start()] if marker else note.body
    body = posted(text, allowed_links=links)
    if marker:
        body = with_hidden(body, marker.group(0).strip())
    return ReviewComment(path=note.path, line=note.line, body=body, start_line=note.start_line)


def _gate_merge_group(
    ctx: RunContext[ReviewOptions], result: ReviewResult, plan: PublishPlan
) -> None:
    """In a merge queue there is no pull request to review on: the gate is the check run on
    the group's commit (a branch protection rule requires it there too), concluded by
    ``fail-on`` as on the pull request."""
    if ctx.event.merge_group is None or ctx.options.dry_run or ctx.github is None:
        return
    _report(ctx, _check_run(ctx.github, result, plan, ctx.own_links))


def _check_run(
    client: GitHubClient, result: ReviewResult, plan: PublishPlan, links: tuple[str, ...]
) -> WriteOutcome:
    failed = result.policy_failure(result.fail_on)
    return client.publish_check_run(
        name=CHECK_NAME,
        head_sha=plan.head,
        title=posted(result.headline, allowed_links=links),
        summary=posted(result.summary_body(), allowed_links=links),
        conclusion="failure" if failed else "success",
        annotations=check_annotations(result),
    )


def check_annotations(result: ReviewResult) -> list[CheckAnnotation]:
    """The step's annotations (:meth:`ReviewResult.annotations`) as a check run takes them: the
    Checks API needs a line, so a whole file's is on line 1. Their texts, already made safe, are
    made again unchanged (cutting and redacting what is cut and redacted changes nothing)."""
    return [
        CheckAnnotation(
            path=each.file or "",
            start_line=each.line or 1,
            end_line=each.end_line or each.line or 1,
            level="failure" if each.level == "error" else each.level,
            message=each.message,
            title=each.title or "",
        )
        for each in result.annotations()
    ]
