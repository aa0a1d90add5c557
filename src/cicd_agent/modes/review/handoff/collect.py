"""The hand-off phase's collect step (step 2 of the fork-safe pattern): turn an untrusted review
result into facts worth publishing.

The result file (:mod:`.file`) is only a set of claims. What is believed comes from
elsewhere:

- the pull request and head commit come from the ``workflow_run`` event and GitHub's API. For a
  fork, ``workflow_run.pull_requests`` is empty and GitHub lists no pull request for a commit
  that only exists in the fork, so the pull request is found by its head (``owner:branch``) and
  kept only when it is open, targets this repository and has exactly the run's head commit. The
  file must name that commit and that pull request, or it is refused;
- the diff is the pull request's file list from the API, and the deterministic checks run again
  on it: a file that leaves out a committed secret cannot lower that floor;
- a claimed finding must name a file of that diff; review's placement rules then put it on a
  changed line or into the review body, as for any finding. Its texts are redacted again, cut
  to length and stripped of HTML comments (the summary comment's hidden ledger and marker are
  HTML comments, and a forged one could stop later reviews);
- the decision is recomputed from the findings and is never ``approve``; the risk level can be
  raised by the file, never lowered below the one computed here.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import GitHubError, UsageError
from cicd_agent.actions.markdown import Reference
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.finding_text import CLAIM_LABEL
from cicd_agent.analysis.findings import diff_findings
from cicd_agent.analysis.severity import parse_severity
from cicd_agent.job.events import PULL_REQUEST_EVENTS, require_workflow_run
from cicd_agent.job.payloads import WorkflowRun
from cicd_agent.modes.review.collect import api_diff
from cicd_agent.modes.review.handoff.file import (
    BODY_MAX,
    REASON_MAX,
    REASONS_MAX,
    RISK_RANK,
    SUGGESTION_MAX,
    TITLE_MAX,
    HandedResult,
    read_result_file,
    refused,
)
from cicd_agent.modes.review.options import ReviewOptions
from cicd_agent.modes.review.result import SUMMARY_KEY, SUMMARY_LIMIT, fitted
from cicd_agent.modes.review.risk import risk_without_history
from cicd_agent.modes.review.types import HandoffFacts, PublishPlan, ReviewFacts, Rules, rules

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.job.context import RunContext

_EVENT_HINT = (
    "Run --publish-from from a workflow triggered by workflow_run of the review workflow "
    "(examples/workflows/fork-safe-publish.yml)."
)


def collect_handoff(ctx: RunContext[ReviewOptions], path: Path) -> tuple[HandoffFacts, Rules]:
    """The hand-off's collect step: its facts (:func:`collect`) and the rules the run hands
    the pure steps (:func:`~cicd_agent.modes.review.types.rules`, with the file's summary and no
    suggestion check)."""
    facts = collect(ctx, path)
    return facts, rules(ctx, facts.review.plan, summary=facts.summary)


def collect(ctx: RunContext[ReviewOptions], path: Path) -> HandoffFacts:
    """Validate the file at ``path`` against the event and the pull request's real diff."""

    if ctx.mode_options.result_file is not None:
        raise UsageError(
            "result-file and publish-from cannot be used together: the first writes a review "
            "result (step 1), the second publishes one (step 2)."
        )
    run = require_workflow_run(ctx.event, "review --publish-from", hint=_EVENT_HINT)
    if run.event not in PULL_REQUEST_EVENTS:
        raise UsageError(
            f"Workflow run {run.id} ran on {run.event}, not on a pull request: there is no "
            "review result to publish.",
            hint=_EVENT_HINT,
        )
    handed = read_result_file(path)
    if handed.head_sha != run.head_sha:
        raise refused(
            path,
            f"it is about commit {handed.head_sha[:12]}, but workflow run {run.id} ran on "
            f"{run.head_sha[:12]}",
        )
    client = ctx.github
    if client is None or ctx.repository is None:
        raise UsageError(
            "publish-from needs a GitHub token and repository to find the pull request and post.",
            hint="Give the job pull-requests: write and checks: write, and the default "
            "github-token.",
        )
    pull = find_pull_request(client, run, ctx.repository, handed.pull_request, path)
    diff = api_diff(client, pull.number, base=pull.base_sha, head=run.head_sha)
    try:
        summary = client.find_issue_comment(pull.number, SUMMARY_KEY)
    except GitHubError as exc:
        ctx.note(f"Could not read the earlier summary comment ({exc.message}).")
        summary = None
    claims, dropped = vet_claims(handed, diff.by_path, ctx.redactor.redact)
    level, reasons = risk_without_history(diff)
    ctx.note(
        f"The result comes from workflow run {run.id}, an untrusted artifact of the pull "
        f"request's own run: the deterministic checks ran again on pull request "
        f"{Reference(pull.number)}'s diff from the API, and {len(claims)} of its "
        f"{len(handed.findings)} finding(s) named files of that diff"
        + (f" ({dropped} did not and were dropped)." if dropped else ".")
    )
    if handed.omitted_findings:
        ctx.note(
            f"The review run left {handed.omitted_findings} lower-severity finding(s) out of "
            "its result file to keep it small."
        )
    review = ReviewFacts(
        diff=diff,
        review_diff=diff,
        plan=PublishPlan(number=pull.number, head=run.head_sha, summary=summary),
        sources=None,
        diff_findings=diff_findings(diff),  # the fork's file cannot leave a secret out
        title=pull.title,
        risk_level=max(level, handed.risk_level, key=RISK_RANK.__getitem__),
        risk_reasons=_reasons(handed, level, reasons, ctx.redactor.redact),
    )
    said = _text(handed.summary, SUMMARY_LIMIT, ctx.redactor.redact, one_line=True)
    # The fork's words, where our own summary says what our checks found: labelled as such.
    return HandoffFacts(
        review,
        claims=claims,
        summary=f"{CLAIM_LABEL}{said}" if said else "The review run gave no summary.",
    )


def find_pull_request(
    client: GitHubClient, run: WorkflowRun, repository: str, claimed: int, path: Path
) -> PullRequestInfo:
    """The open pull request of ``repository`` whose head is exactly the run's head commit.

    Same-repository pull requests are listed in the event; a fork's is found by its head
    branch, then by the commit. When one head commit heads several open pull requests (one
    branch proposed to two bases), the file's claim may choose among those GitHub confirmed.
    """
    numbers = sorted({p.number for p in run.pull_requests if p.head.sha == run.head_sha})
    found = [client.get_pull_request(number) for number in numbers]
    head_repo = run.head_repository
    if not found and head_repo is not None and run.head_branch:
        found = client.open_pulls_from(head_repo.owner.login, run.head_branch)
    if not found:
        found = client.pulls_for_commit(run.head_sha)
    matching = {p.number: p for p in found if _heads_run(p, run, repository)}
    if not matching:
        raise UsageError(
            f"No open pull request of {repository} has head commit {run.head_sha[:12]} (it was "
            "closed or pushed to after the review ran); nothing was posted.",
            hint="The review run of the pull request's newer commit publishes its own result.",
        )
    if claimed not in matching:
        numbers_text = ", ".join(str(Reference(n)) for n in sorted(matching))
        raise refused(
            path,
            f"it names pull request #{claimed}, but commit {run.head_sha[:12]} is the head of "
            f"{numbers_text}",
        )
    return matching[claimed]


def _heads_run(pull: PullRequestInfo, run: WorkflowRun, repository: str) -> bool:
    head_repo = run.head_repository
    return (
        pull.state == "open"
        and pull.head_sha == run.head_sha
        and pull.base_repo.lower() == repository.lower()
        and (head_repo is None or pull.head_repo.lower() == head_repo.full_name.lower())
    )


def vet_claims(
    handed: HandedResult, files: Container[str], redact: Callable[[str], str]
) -> tuple[list[Finding], int]:
    """The file's findings on files of the diff, with every text made safe; and how many were
    dropped for naming a file the pull request does not change."""
    kept: list[Finding] = []
    dropped = 0
    for item in handed.findings:
        if item.path not in files:
            dropped += 1
            continue
        start = item.start_line
        if start is not None and (item.line is None or start >= item.line):
            start = None
        suggestion = redact(item.suggestion) if item.suggestion else None
        kept.append(
            Finding(
                rule=item.rule,
                severity=parse_severity(item.severity),
                category=item.category,
                path=item.path,
                line=item.line,
                start_line=start,
                title=_text(item.title, TITLE_MAX, redact, one_line=True)
                or "Finding of the review run",
                body=_text(item.body, BODY_MAX, redact),
                suggestion=suggestion if suggestion and len(suggestion) <= SUGGESTION_MAX else None,
                confidence=item.confidence,
                source="claim",  # whatever the file says: only this run's checks are ours
            )
        )
    return kept, dropped


def _reasons(
    handed: HandedResult, level: str, reasons: list[str], redact: Callable[[str], str]
) -> list[str]:
    """This run's risk reasons; the file's too when it rated the risk higher (it may have
    read the change history, which this run cannot)."""
    if RISK_RANK[handed.risk_level] <= RISK_RANK[level]:
        return reasons
    claimed = [
        f"(review run) {_text(r, REASON_MAX, redact, one_line=True)}" for r in handed.risk_reasons
    ]
    return [*claimed, *reasons][:REASONS_MAX]


def _text(text: str, limit: int, redact: Callable[[str], str], *, one_line: bool = False) -> str:
    """Untrusted text as we post it: redacted, then :func:`~..result.fitted`."""
    return fitted(redact(text), limit, one_line=one_line)
