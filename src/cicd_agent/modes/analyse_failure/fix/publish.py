"""Publish a verified fix: the patch file, suggestions on the pull request, a draft pull request.

Only writes; what to write was decided before (:mod:`.outcome`). In order:

- the patch file under ``RUNNER_TEMP`` (``fix_patch_path``), always;
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

import os
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from unidiff.patch import PatchSet

from cicd_agent.api import (
    ExternalServiceError,
    ReviewComment,
    UsageError,
    code_fence,
    parse_diff,
    posted,
)
from cicd_agent.api.lent.answers import FileChange
from cicd_agent.modes.analyse_failure.fix.outcome import fix_label, fix_section

if TYPE_CHECKING:
    from cicd_agent.api import RunContext
    from cicd_agent.api.github import GitHubClient
    from cicd_agent.modes.analyse_failure.fix.outcome import FixOutcome
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from cicd_agent.modes.analyse_failure.types import RunTarget

T = TypeVar("T")
BRANCH = "cicd-agent/fix-{run}"
_BACKTICKS_MAX = 64


def publish_fix(
    ctx: RunContext[AnalyseFailureOptions], outcome: FixOutcome, target: RunTarget | None
) -> None:
    """Write the patch file, then suggest and open what ``outcome.requested`` asks for.

    The pull request's tree is ``outcome.verified_files``: the verified files' text (None:
    deleted), a field no rendering of the result shows."""
    if outcome.patch_path:
        Path(outcome.patch_path).write_text(outcome.patch, encoding="utf-8")
    if target is None or not target.head_sha:
        return
    if outcome.status != "verified":  # the pull request's own code passed: no proof
        outcome.publish_notes.append(
            "No suggestion or pull request was opened: the pass is no proof on the pull "
            "request's own code."
        )
        return
    if ctx.options.dry_run:
        outcome.publish_notes.append("Dry run: no suggestion or pull request was posted.")
        return
    client = ctx.github
    if client is None:
        return
    try:
        if target.pull_requests:
            _suggest(client, outcome, target.pull_requests[0], target.head_sha)
        if outcome.requested != "pr":
            return
        if target.from_fork:
            outcome.publish_notes.append(
                "The failed commit comes from a fork: the fix is offered as a suggestion only."
            )
            return
        _open_pull(ctx, client, outcome, target)
    except ExternalServiceError as exc:  # the analysis comment still goes out, saying so
        outcome.publish_notes.append(f"Publishing the fix failed: {exc}")


def suggestions(
    patch: str, diff_lines: dict[str, set[int]], label: str
) -> list[ReviewComment] | None:
    """One ``suggestion`` comment per hunk headed ``label`` (:func:`.outcome.fix_label`), or
    None when any hunk lies off the diff's lines.

    A hunk replaces the failed commit's lines ``source_start .. source_start+length-1`` (its
    context lines included, so an insertion has lines to sit on) with its new lines.
    """
    comments: list[ReviewComment] = []
    for patched in PatchSet(patch):
        path = patched.path
        if patched.is_added_file or patched.is_removed_file or patched.is_rename:
            return None
        for hunk in patched:
            first, length = hunk.source_start, hunk.source_length
            lines = range(first, first + length)
            new = "".join(line.value for line in hunk if line.is_added or line.is_context)
            if not length or not set(lines) <= diff_lines.get(path, set()) or "<!--" in new:
                return None
            fence = code_fence(new)
            if len(fence) > _BACKTICKS_MAX:
                return None
            body = f"{label} (cicd-agent):\n\n{fence}suggestion\n{new}{fence}"
            start = first if length > 1 else None
            comments.append(ReviewComment(path, first + length - 1, posted(body), start_line=start))
    return comments


def right_side_lines(patch: str) -> set[int]:
    """The head-side lines of one file's patch from the pull request's file list (hunks only,
    no file headers) that a review comment may sit on: review's own :attr:`Hunk.new_lines`.
    A patch that does not parse (the API cuts long ones) offers none."""
    try:
        files = parse_diff(f"--- a/f\n+++ b/f\n{patch}\n").files
    except UsageError:
        return set()
    return {line for changed in files for hunk in changed.hunks for line in hunk.new_lines}


def _suggest(client: GitHubClient, outcome: FixOutcome, number: int, head_sha: str) -> None:
    files = client.changed_files(number)
    diff_lines = {f.filename: right_side_lines(f.patch) for f in files if f.patch}
    comments = suggestions(outcome.patch, diff_lines, fix_label(outcome))
    if not comments:
        return  # the comment shows the collapsed patch
    review = client.post_review(
        number,
        body=posted(
            f"{fix_label(outcome)} (cicd-agent, in a sandbox): the failing command passes "
            "with it. Each suggestion can be committed from here."
        ),
        comments=comments,
        commit_sha=head_sha,
    )
    if review.done:
        outcome.suggestions = len(comments)
        outcome.suggestions_url = review.url
        outcome.shown_in_comment = False
    elif review.reason:
        outcome.publish_notes.append(f"The suggestions were not posted: {review.reason}")


def _open_pull(
    ctx: RunContext[AnalyseFailureOptions],
    client: GitHubClient,
    outcome: FixOutcome,
    target: RunTarget,
) -> None:
    """A new branch from the failed commit with the verified files, and a draft pull request."""
    if target.run_id is None or not target.branch:
        outcome.publish_notes.append("No pull request: the failed run has no id or branch.")
        return
    branch = BRANCH.format(run=target.run_id)
    if client.branch_exists(branch):
        outcome.publish_notes.append(
            f"No pull request: the branch {branch} exists already (nothing is pushed to an "
            "existing branch)."
        )
        return
    checkout = ctx.options.repo_dir
    files = [
        FileChange(path, text, _mode(checkout / path)) for path, text in outcome.verified_files
    ]
    message = posted(
        f"Fix the failure of run {target.run_id}\n\n{outcome.reason}. Made by cicd-agent."
    )
    sha = _write(
        client,
        f"committing the fix of run {target.run_id}",
        client.commit_files(target.head_sha, files, message),
        outcome,
    )
    if sha is None:
        return
    made = _write(
        client, f"creating the branch {branch}", client.create_branch(branch, sha), outcome
    )
    if made is None:
        return
    if not made:
        outcome.publish_notes.append(f"No pull request: the branch {branch} exists already.")
        return
    run = f"[run {target.run_id}]({target.html_url})" if target.html_url else f"run {target.run_id}"
    pull_url = _write(
        client,
        f"opening the draft pull request from {branch}",
        client.create_draft_pull(
            base=target.branch,
            head=branch,
            title=posted(f"Fix the failure of run {target.run_id}"),
            body=posted(
                f"{fix_label(outcome)}: cicd-agent's patch for the failure of {run}, judged "
                "in a sandbox.\n\n"
                + fix_section(outcome, comment=True),
                allowed_links=ctx.own_links,
            ),
        ),
        outcome,
    )
    if pull_url is not None:
        outcome.pr_url = pull_url


def _mode(path: Path) -> str:
    """The file's mode in the failed commit (the checkout is that commit): kept as it was."""
    try:
        return "100755" if os.lstat(path).st_mode & 0o111 else "100644"
    except OSError:
        return "100644"


def _write(client: GitHubClient, what: str, made: T | None, outcome: FixOutcome) -> T | None:
    """``made``, a write under the client's policy; a write not made (None) is noted."""
    if made is None:
        outcome.publish_notes.append(f"Not {what}: {client.capability.reason}")
    return made
