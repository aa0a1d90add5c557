"""A patch offered on a pull request as GitHub ``suggestion`` blocks, one per hunk, that its
author can commit from the conversation: how a mode proposes a change on the pull request it
judged (analyse-failure's fix, test-step's fixed flaky test). A suggestion can only sit on lines
of the pull request's diff, so a patch with any hunk off them is not suggested at all (the
mode shows it whole instead), nor one whose lines read otherwise at the head than where the
patch was made, and none whose block, as posted, would not commit exactly the patch's lines
(neutralising shows an HTML comment's opening, a control character or a secret otherwise, and
the author would commit that)."""

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
    """``patch`` as one review of suggestions on pull request ``number``, pinned to
    ``head_sha``, each headed ``label`` and the review's body ``lead`` (both are posted
    neutralised). A write the token may not make is said with the client's reason; an error
    GitHub answers with is raised (``ExternalServiceError``), as every write's."""
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
    """One ``suggestion`` comment per hunk headed ``label``, or None when any hunk lies off the
    diff's lines or reads otherwise there (``diff_lines``: each file's head-side lines and
    their text; the patch was made on the checkout, which for a pull request may be a merge
    with a base that moved the lines since), or its block as posted would commit other
    lines, or the patch does not parse (``difflib`` writes a changed last line without a line
    break into the next one). A hunk replaces the old side's lines ``source_start ..
    source_start+length-1`` (its context lines included, so an insertion has lines to sit on)
    with its new lines, each ending its line (a file's last one may not, and the fence must
    start a line of its own)."""
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
            new = "".join(line.value.rstrip("\n") + "\n" for line in hunk
                          if line.is_added or line.is_context)  # fmt: skip
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
    return {line.new: line.text for changed in files for hunk in changed.hunks
            for line in hunk.lines if line.new is not None}  # fmt: skip
