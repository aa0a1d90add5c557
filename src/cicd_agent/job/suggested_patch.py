"""A patch offered on a pull request as GitHub ``suggestion`` blocks, one per hunk, for its
author to commit from the conversation. A suggestion can sit only on the diff's lines, so a patch
with any hunk off them, or reading otherwise at the head than where it was made, is not suggested
(the mode shows it whole), nor one whose block as posted would not commit exactly its lines
(neutralising shows an HTML comment's opening, a control character or a secret otherwise, and the
author would commit that)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.markdown import code_fence, posted
from cicd_agent.analysis.diff import parse_diff
from cicd_agent.github.models import ReviewComment

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient

BACKTICKS_MAX = 64
"""The longest fence a suggestion may need: text that needs more is not suggested."""


@dataclass(frozen=True)
class Suggested:
    """How many suggestions were posted and their review's address, or why none were ("": the
    patch lies off the diff, which the caller shows whole)."""

    count: int = 0
    url: str = ""
    why_not: str = ""


def suggest_patch(
    client: GitHubClient, number: int, head_sha: str, patch: str, *, label: str, lead: str
) -> Suggested:
    """``patch`` as one review of suggestions on pull request ``number``, pinned to ``head_sha``
    (``label`` and ``lead`` are posted neutralised). A refused write is said with the client's
    reason; an error GitHub answers with is raised, as every write's."""
    files = client.changed_files(number)
    diff_lines = {f.filename: right_side_lines(f.patch) for f in files if f.patch}
    comments = suggestions(patch, diff_lines, label)
    if not comments:
        return Suggested()
    review = client.post_review(number, body=posted(lead), comments=comments, commit_sha=head_sha)
    if review.done:
        return Suggested(len(comments), review.url)
    return Suggested(why_not=review.reason or "GitHub did not take the review")


def suggestions(
    patch: str, diff_lines: dict[str, dict[int, str]], label: str
) -> list[ReviewComment] | None:
    """One ``suggestion`` comment per hunk, or None when a hunk lies off the diff's lines or
    reads otherwise there (the patch was made on a checkout that may be a merge with a moved
    base), its block would commit other lines, or the patch does not parse. A hunk replaces its
    old side's lines, context included so an insertion has lines to sit on, each new line ending
    its line: the fence must start a line of its own."""
    comments: list[ReviewComment] = []
    try:
        parsed = PatchSet(patch)
    except UnidiffParseError:
        return None
    for patched in parsed:
        path = patched.path
        if patched.is_added_file or patched.is_removed_file or patched.is_rename:
            return None
        for hunk in patched:
            first, length = hunk.source_start, hunk.source_length
            lines = range(first, first + length)
            new = "".join(
                line.value.rstrip("\n") + "\n" for line in hunk if line.is_added or line.is_context
            )
            at_head = diff_lines.get(path, {})
            old = [line.value.rstrip("\n") for line in hunk if line.is_removed or line.is_context]
            if not length or old != [at_head.get(number) for number in lines]:
                return None
            fence = code_fence(new)
            block = f"{fence}suggestion\n{new}{fence}"
            shown = posted(f"{label} (cicd-agent):\n\n{block}")
            if len(fence) > BACKTICKS_MAX or not shown.endswith(f"\n\n{block}"):
                return None
            start = first if length > 1 else None
            comments.append(ReviewComment(path, first + length - 1, shown, start_line=start))
    return comments


def right_side_lines(patch: str) -> dict[int, str]:
    """The head-side lines of one file's patch from the pull request's file list (hunks only,
    no file headers) that a review comment may sit on, and their text. A patch that does not
    parse (the API cuts long ones) offers none."""
    try:
        files = parse_diff(f"--- a/f\n+++ b/f\n{patch}\n").files
    except UsageError:
        return {}
    return {
        line.new: line.text
        for changed in files
        for hunk in changed.hunks
        for line in hunk.lines
        if line.new is not None
    }
