"""Where a fix goes (:func:`publish_fix`, called by the mode's publish step): the fix
step's owner owns it, so a change to what the fix writes or opens stays in ``fix/``. What to
write was decided before (:mod:`.outcome`); in order:

- the model loop's steps appended to the analyse-failure audit file (off a runner, nowhere);
- the patch file under ``RUNNER_TEMP`` (``fix_patch_path``), always, a fix that passes
  without proof too (``status: passes``); what follows is for a verified fix only:
- on a pull request, one review whose comments are GitHub ``suggestion`` blocks, one per hunk
  whose lines all lie on the pull request's diff (GitHub only takes comments there); when any
  hunk does not, the comment shows the whole patch collapsed instead (:mod:`.outcome`);
- with ``fix: pr``, a new branch ``cicd-agent/fix-<run id>`` made from the failed commit
  through the Git Data API (blobs, tree, commit, ref), holding exactly the verified files, and
  a draft pull request against the failed branch. Nothing is ever pushed to an existing
  branch: when the branch exists the run says so and opens nothing. A fork's pull request
  gets the suggestion only (its branch is not ours to open pull requests from).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import ExternalServiceError
from cicd_agent.actions.markdown import commit_message, posted
from cicd_agent.job.draft_pull import open_draft_pull
from cicd_agent.job.suggested_patch import suggest_patch
from cicd_agent.local.audit import append
from cicd_agent.modes.analyse_failure.fix.outcome import fix_label, fix_section
from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.analyse_failure.fix.outcome import FixOutcome
    from cicd_agent.modes.analyse_failure.types import RunTarget


def publish_fix(
    ctx: RunContext[AnalyseFailureOptions], fix: FixOutcome, target: RunTarget | None
) -> None:
    """Append the fix loop's steps to the audit file, then post the fix unless there is none.
    What posting learns goes into the run's record, ``ctx.posted``, however posting ends, so a
    failure part-way keeps what was posted."""
    _audit(ctx, fix)
    if fix.status == "none":
        return
    learnt = _FixPosted()
    try:
        _post(ctx, fix, target, learnt)
    finally:
        ctx.posted.record(fix=learnt.on(fix))


def _audit(ctx: RunContext[AnalyseFailureOptions], fix: FixOutcome) -> None:
    """Append the model loop's steps to the analyse-failure audit file (off a runner, nowhere).
    The audit is a record, not a gate: a write that fails is one note, and the rest is skipped."""
    path = fix.audit_file
    if path is None:
        return
    for record in fix.audit:
        try:
            append(path, record, ctx.checkout.root, redact=ctx.redactor.redact)
        except OSError as exc:
            ctx.note(f"The audit file {path} could not be written: {exc.strerror}.")
            return


_BRANCH = "cicd-agent/fix-{run}"


@dataclass
class _FixPosted:
    """What posting the fix learns, set as each part of it lands: posting's own value, never
    the decided fix (:class:`~.outcome.FixOutcome` is frozen)."""

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


def _post(
    ctx: RunContext[AnalyseFailureOptions],
    outcome: FixOutcome,
    target: RunTarget | None,
    learnt: _FixPosted,
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
    client: GitHubClient, outcome: FixOutcome, number: int, head_sha: str, learnt: _FixPosted
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
    learnt: _FixPosted,
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
        branch=_BRANCH.format(run=target.run_id),
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
