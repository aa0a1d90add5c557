"""Review's inputs: the diff (local checkout first, the API when commits are missing), the
ledger of reviewed commits and the risk of the changed files alone; on a checkout's diff the
core's change risk replaces it after the checkers ran (:func:`.risk.assess`), since its
security floor reads their workflow audit. collect starts no audit.

On ``synchronize`` only the commits since the last reviewed head are sent to the model, as
long as that head is still in the branch's history; after a force-push the whole pull request
is reviewed again. Deterministic findings always cover the whole pull request (a secret added
two pushes ago must still fail the check), but only new ones are posted inline again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import GitHubError, UsageError
from cicd_agent.analysis.diff import Diff, parse_diff
from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.finding_text import MARKER
from cicd_agent.analysis.findings import diff_findings
from cicd_agent.analysis.workflows.ignores import Exemptions, base_ignore_lines
from cicd_agent.analysis.workflows.paths import workflow_paths
from cicd_agent.job.events import Invoker, described
from cicd_agent.local.checkout import GitCheckout, check_out_head
from cicd_agent.modes.review.ledger import Ledger
from cicd_agent.modes.review.options import ReviewOptions
from cicd_agent.modes.review.result import SUMMARY_KEY
from cicd_agent.modes.review.risk import risk_without_history
from cicd_agent.modes.review.types import HeadFiles, PublishPlan, ReviewFacts
from cicd_agent.risk.service import deepen

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.github.comments import Found
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.payloads import PullRequest

_SHALLOW_HINT = (
    "Fetch both commits (actions/checkout with `fetch-depth: 0`), or give the job a token so "
    "the diff can be read from the API."
)
_NAME_HINT = (
    "The checkout holds its whole history, so check the name: `git branch -a` and `git log` "
    "list what it has."
)


def collect(ctx: RunContext[ReviewOptions], *, history: bool = True) -> ReviewFacts:
    """The facts for this run, from the event and the flags. ``history=False`` leaves out
    what earlier reviews left on GitHub (the ledger in the summary comment, dismissed
    findings, so also the incremental diff): ``ask`` needs the change, not the review's memory."""
    pull = ctx.event.pull_request if ctx.has_event else None
    group = ctx.event.merge_group if ctx.has_event else None  # a merge queue's: its own range
    chosen = ctx.mode_options
    base = chosen.base or (pull.base.sha if pull else group.base_sha if group else None)
    head = chosen.head or (pull.head.sha if pull else group.head_sha if group else "HEAD")
    if base is None:
        raise UsageError(
            f"review needs a pull request or a base commit; got {described(ctx.event)}.",
            hint=(
                "Run it on a pull_request or merge_group event, or pass --base REF (and --head "
                "REF, default "
                "HEAD) to review a local range."
            ),
        )
    try:
        repo: GitCheckout | None = ctx.checkout
    except UsageError:
        if pull is None:
            raise
        repo = None
    deepened = repo is not None and deepen(ctx, [base, head], past=[base])
    if repo is not None and repo.has_commit(base) and repo.has_commit(head):
        # A command's run keeps the default branch checked out by design (no pull request
        # code outside a sandbox; pr-commands.yml): its checkers skip the files not the head's.
        command = ctx.has_event and ctx.event.invoked_by is Invoker.COMMAND
        if history and not command and not repo.at(head):
            raise _another_commit(ctx, repo, head)
        ctx.progress.say("reading the diff from the checkout")
        facts = _local_facts(ctx, repo, pull, base, head, history=history, deepened=deepened)
        facts = _with_settings(ctx, facts)
        exemptions = ignore_scope(ctx, pull)
        if exemptions.scope == "base":  # the base the pull request targets, word for word
            texts = repo.read_texts(base, workflow_paths(facts.diff))
            exemptions = replace(exemptions, base_lines=base_ignore_lines(texts))
        facts = replace(facts, exemptions=exemptions)
    elif pull is None or ctx.github is None:
        raise UsageError(
            _missing_commits(repo, base, head, ctx.options.repo_dir),
            hint=_NAME_HINT if repo is not None and not repo.git.is_shallow() else _SHALLOW_HINT,
        )
    else:
        ctx.note(
            "The base or head commit is not in the local checkout, so the diff was read from "
            "the GitHub API (binary files and very large diffs come without text there)."
        )
        ctx.progress.say("reading the diff from the GitHub API")
        cut = repo is not None and repo.git.is_shallow()
        facts = _with_settings(ctx, _api_facts(ctx, pull, history=history, cut=cut))
    ctx.progress.say(f"{len(facts.diff.files):,} changed file(s)")
    return facts


def _another_commit(ctx: RunContext[ReviewOptions], repo: GitCheckout, head: str) -> UsageError:
    """The one rule for a checkout of another commit than the reviewed head (a merge of it is
    the head's: actions/checkout's default): the linters, type checkers and build checks read
    the checkout's files, so they would check another commit, and a change that does not
    build would pass in some languages; review refuses, as gen-tests does, in every language."""
    held, head = repo.resolve("HEAD")[:12], repo.resolve(head)  # a name may be long: its commit
    fix = check_out_head(head, ctx.has_event, commit="the reviewed commit", mode="review")
    return UsageError(
        f"review checks the checkout's files, and the checkout (its HEAD is {held}) is not the "
        f"reviewed head {head[:12]}: its linters and type checkers would check another commit.",
        hint=f"{fix[:1].upper()}{fix[1:]}.",
    )


def ignore_scope(ctx: RunContext[ReviewOptions], pull: PullRequest | None) -> Exemptions:
    """Which ``# zizmor: ignore`` comments this run honours: all of them on a local run with no
    event, or when GitHub answers that the pull request comes from this repository and its
    author can push (a comment there is the repository's word: :attr:`RunContext.trust`, never
    the event, which a command's run rewrites so it may publish); otherwise only those already
    in the base version, so a fork cannot exempt its own change."""
    if pull is None and not ctx.has_event:
        return Exemptions("all", "a local run with no event: the checkout is the runner's own")
    if pull is not None and ctx.trust.code_is_proof:
        return Exemptions(
            "all", "the pull request comes from this repository, whose author can push"
        )
    return Exemptions(
        "base",
        "the comment is in the base version (a fork's own ignore comments are not honoured)",
    )


def _with_settings(ctx: RunContext[ReviewOptions], facts: ReviewFacts) -> ReviewFacts:
    """Apply the repository's path settings and guidance (read from the base commit)."""
    config = ctx.repo_config
    left_out = tuple(f.path for f in facts.diff.files if not config.paths.selects(f.path))
    review = facts.review_diff
    if left_out:
        shown = ", ".join(name_span(path) for path in left_out[:5])
        more = f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
        ctx.note(
            f"{len(left_out)} file(s) left out of the review by the repository's "
            f"`paths`/`paths-ignore` ({shown}{more}); secrets are still reported in them."
        )
        review = Diff(
            tuple(f for f in review.files if f.path not in left_out), review.base, review.head
        )
    guidance = config.guidance_for([f.path for f in review.files])
    return replace(facts, left_out=left_out, review_diff=review, guidance=guidance)


def _missing_commits(repo: GitCheckout | None, base: str, head: str, where: object) -> str:
    """Which of the base and the head the checkout lacks, each by name, so the user knows
    which of the two to fix."""
    if repo is None:
        return f"{where} is not a git checkout, so the base {base[:40]} cannot be read."
    missing = [
        f"the {role} {ref[:40]!r}"
        for role, ref in (("base", base), ("head", head))
        if not repo.has_commit(ref)
    ]
    verb = "is not a commit" if len(missing) == 1 else "are not commits"
    return f"{' and '.join(missing)} {verb} of the checkout at {where}."


def _plan(
    ctx: RunContext[ReviewOptions], pull: PullRequest | None, head: str, history: bool
) -> PublishPlan:
    plan = PublishPlan(
        number=pull.number if pull else None,
        head=head,
        # A fork's own run holds a read-only token; a command's run holds the comment
        # workflow's, which may publish.
        read_only=pull is not None and pull.is_fork and ctx.event.invoked_by is not Invoker.COMMAND,
        summary=_summary_comment(ctx, pull) if history else None,
    )
    return replace(plan, dismissed=_dismissed(ctx, pull, plan.previous))


def _dismissed(
    ctx: RunContext[ReviewOptions], pull: PullRequest | None, previous: Ledger
) -> frozenset[str]:
    """Findings a writer dismissed on an earlier run's comments (only after an earlier run, and
    not for a fork's code, per GitHub's answer)."""
    if pull is None or not previous.heads or ctx.trust.is_fork:
        return frozenset()
    return dismissed_findings(ctx, pull.number)


def dismissed_findings(ctx: RunContext[ReviewOptions], number: int) -> frozenset[str]:
    """Fingerprints a writer dismissed on ``number`` (none offline or when unreadable).

    Each inline comment review posts ends with a hidden marker naming its finding's
    fingerprint (:mod:`cicd_agent.analysis.finding_text`): a 👎 or 😕 from a user with write
    access on one of *our* comments (``github.reactions``) keeps that finding from being posted
    again; a reaction from anyone else, or a marker in a comment someone else wrote, changes
    nothing. The finding still counts in the check run, the SARIF file and ``fail-on``: a
    reaction is a wish for less noise, not a waiver."""
    client = ctx.github
    if client is None:
        return frozenset()
    try:
        return client.dismissed(number, MARKER)
    except GitHubError as exc:
        ctx.note(f"Could not read the reactions on earlier review comments ({exc.message}).")
        return frozenset()


def _summary_comment(ctx: RunContext[ReviewOptions], pull: PullRequest | None) -> Found | None:
    """Our summary comment from earlier runs, whose ledger says what they did (none for forks
    or offline: :attr:`RunContext.trust`); publish updates this same comment."""
    if pull is None or ctx.github is None or ctx.trust.is_fork:
        return None

    try:
        return ctx.github.find_issue_comment(pull.number, SUMMARY_KEY)
    except GitHubError as exc:
        ctx.note(
            f"Could not read the earlier summary comment ({exc.message}); reviewed everything."
        )
        return None


def _local_facts(
    ctx: RunContext[ReviewOptions],
    repo: GitCheckout,
    pull: PullRequest | None,
    base: str,
    head: str,
    *,
    history: bool,
    deepened: bool = False,
) -> ReviewFacts:
    head_sha = repo.resolve(head, "head")
    merge_base = repo.merge_base(base, head_sha)
    diff = repo.diff(base, head_sha)
    plan = _plan(ctx, pull, head_sha, history)
    start = _incremental_start(ctx, repo, plan, pull)
    workflow_texts = repo.read_texts(head_sha, workflow_paths(diff))
    found = diff_findings(diff)  # one secret scan, for the risk floor and the findings
    level, reasons = risk_without_history(diff)  # risk.assess adds the history after lint
    return ReviewFacts(
        diff=diff,
        review_diff=repo.diff(start, head_sha, three_dot=False) if start else diff,
        plan=plan,
        sources=HeadFiles(repo, head_sha),
        title=pull.title if pull else "",
        body=(pull.body or "") if pull else "",
        commits=repo.commit_messages(merge_base, head_sha),
        workflow_texts=workflow_texts,
        diff_findings=found,
        incremental_from=start,
        risk_level=level,
        risk_reasons=reasons,
        merge_base=merge_base,
        deepened=deepened,
    )


def _incremental_start(
    ctx: RunContext[ReviewOptions], repo: GitCheckout, plan: PublishPlan, pull: PullRequest | None
) -> str | None:
    """The last reviewed head when only newer commits need the model, else None."""
    if pull is None or not plan.previous.heads or ctx.event.action != "synchronize":
        return None
    last = plan.previous.heads[-1]
    if last == plan.head:
        return None
    if not repo.has_commit(last) or not repo.is_ancestor(last, plan.head):
        ctx.note(
            f"The last reviewed commit {last[:12]} is no longer in the branch's history "
            "(force-push?), so the whole pull request was reviewed again."
        )
        return None
    return repo.resolve(last)


def _api_facts(
    ctx: RunContext[ReviewOptions], pull: PullRequest, *, history: bool, cut: bool = False
) -> ReviewFacts:
    assert ctx.github is not None
    diff = api_diff(ctx.github, pull.number, base=pull.base.sha, head=pull.head.sha)
    level, reasons = risk_without_history(diff, cut=cut)
    return ReviewFacts(
        diff=diff,
        review_diff=diff,
        plan=_plan(ctx, pull, pull.head.sha, history),
        sources=None,
        diff_findings=diff_findings(diff),
        title=pull.title,
        body=pull.body or "",
        risk_level=level,
        risk_reasons=reasons,
    )


def api_diff(client: GitHubClient, number: int, *, base: str, head: str) -> Diff:
    """The pull request's diff as GitHub's file list gives it (the fork-safe publishing step
    re-checks an untrusted result against exactly this)."""
    files = client.changed_files(number)
    text = "".join(
        _synthesized(f.filename, f.previous_filename, f.status, f.patch, f.additions + f.deletions)
        for f in files
    )
    return parse_diff(text, base=base, head=head)


def _synthesized(path: str, previous: str, status: str, patch: str, churn: int) -> str:
    """One file of the API's file list as git would have printed it, so one parser serves."""
    old = previous or path
    lines = [f"diff --git a/{old} b/{path}"]
    if status == "added":
        lines += ["new file mode 100644", "--- /dev/null", f"+++ b/{path}"]
    elif status == "removed":
        lines += ["deleted file mode 100644", f"--- a/{path}", "+++ /dev/null"]
    elif status == "renamed":
        lines += [f"rename from {old}", f"rename to {path}", f"--- a/{old}", f"+++ b/{path}"]
    else:
        lines += [f"--- a/{old}", f"+++ b/{path}"]
    if not patch:
        # GitHub leaves the patch out for binary files (and for huge text diffs, which still
        # report line counts).
        if churn == 0 and status != "renamed":
            return "\n".join([*lines[:1], f"Binary files a/{old} and b/{path} differ"]) + "\n"
        return (
            "\n".join(lines[:1] + [ln for ln in lines[1:] if not ln.startswith(("---", "+++"))])
            + "\n"
        )
    return "\n".join(lines) + "\n" + patch.rstrip("\n") + "\n"
