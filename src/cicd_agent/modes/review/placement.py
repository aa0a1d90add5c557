"""Put every finding where GitHub will accept it, before anything is posted.

GitHub refuses (422) a review whose inline comment points at a line outside the diff's hunks,
and one refused comment loses the whole review. So each finding is checked against the hunks
of the pull request's diff first:

- on a line GitHub can comment on (an added or context line of a hunk): posted there;
- a line or two away from a hunk: moved to the nearest such line, with a note saying so;
- anywhere else (far away, a binary or deleted file, a whole-file finding): written into the
  review body with a link to the exact line.

A multi-line comment keeps its range only when both ends lie in the same hunk, and a
suggestion block (which GitHub applies to exactly those lines) is only offered then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cicd_agent.actions.markdown import NEUTRALISE_LIMIT, code_fence
from cicd_agent.analysis.diff import Diff, FileDiff, Hunk
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.finding_text import heading, marked, shown_body
from cicd_agent.modes.review.result import InlineNote

MAX_MOVE = 5
"""Lines a comment may be moved to reach a hunk; further away it would point at other code."""

LinkMaker = Callable[[str, int | None], str | None]
"""``(path, line) -> URL`` of that line at the reviewed commit, or None when unknown."""


@dataclass(frozen=True)
class BodyItem:
    """A finding that goes into the review body instead of onto a line."""

    finding: Finding
    text: str
    reason: str


@dataclass(frozen=True)
class Placement:
    inline: tuple[InlineNote, ...]
    """Comments GitHub will accept (``line`` and ``start_line`` lie in one hunk), marked."""
    body: tuple[BodyItem, ...]
    posted: tuple[str, ...]
    """The fingerprints of the findings placed, inline ones first."""

    @property
    def moved(self) -> int:
        return sum(1 for c in self.inline if c.moved_from is not None)


def place(findings: Sequence[Finding], diff: Diff, link: LinkMaker) -> Placement:
    """Decide, for each finding, an inline spot GitHub accepts or a line in the body."""
    inline: list[InlineNote] = []
    body: list[BodyItem] = []
    posted: list[str] = []
    for finding in findings:
        spot = _inline(finding, diff.file(finding.path))
        if isinstance(spot, InlineNote):
            inline.append(spot)
            posted.append(finding.fingerprint)
        else:
            body.append(BodyItem(finding, body_line(finding, link), spot))
    return Placement(tuple(inline), tuple(body), (*posted, *(b.finding.fingerprint for b in body)))


def _inline(finding: Finding, changed: FileDiff | None) -> InlineNote | str:
    """The inline comment for ``finding``, ending with its marker, or the reason it cannot be
    one."""
    if changed is None:
        return "the file is not part of this pull request's diff"
    if finding.line is None:
        return "it is about the whole file"
    if changed.status == "deleted" or not changed.hunks:
        return f"the file is {changed.kind_note or changed.status} and has no lines to comment on"
    hunk = changed.hunk_at(finding.line)
    if hunk is not None:
        start = finding.start_line
        in_range = start is not None and start < finding.line and start in hunk.new_lines
        start_line = start if in_range else None
        suggestion = finding.suggestion is not None and (start is None or in_range)
        return InlineNote(
            path=finding.path,
            line=finding.line,
            start_line=start_line,
            body=marked(comment_body(finding, suggestion=suggestion), finding.fingerprint),
        )
    nearest = _nearest(changed.hunks, finding.line)
    if nearest is None or abs(nearest - finding.line) > MAX_MOVE:
        return f"line {finding.line} is outside the diff"
    note = (
        f"_This is about line {finding.line}, which is outside the diff; it is shown on the "
        f"nearest changed line._"
    )
    return InlineNote(
        path=finding.path,
        line=nearest,
        body=marked(comment_body(finding, suggestion=False, note=note), finding.fingerprint),
        moved_from=finding.line,
    )


def _nearest(hunks: Sequence[Hunk], line: int) -> int | None:
    """The commentable new-file line closest to ``line`` (the earlier one on a tie)."""
    best: int | None = None
    for hunk in hunks:
        lines = hunk.new_lines
        if not lines:
            continue
        candidate = min(max(line, lines.start), lines.stop - 1)
        if best is None or abs(candidate - line) < abs(best - line):
            best = candidate
    return best


def comment_body(finding: Finding, *, suggestion: bool, note: str = "") -> str:
    """The Markdown of an inline comment. With ``suggestion``, the replacement becomes a
    suggestion block GitHub can apply; otherwise it is shown as plain code. A block the
    posting seam would have to cut (past :data:`NEUTRALISE_LIMIT`, with room for what it
    adds) is shown as plain code: a cut block applies other code than was checked."""
    parts = [heading(finding), "", shown_body(finding)]
    if note:
        parts[1:1] = ["", note]
    if finding.suggestion is not None:
        fence = code_fence(finding.suggestion)
        kind = "suggestion" if suggestion else ""
        if not suggestion:
            parts += ["", "Suggested code:"]
        # an empty suggestion deletes the lines: a block with no line in it, not an empty one
        code = [finding.suggestion.removesuffix("\n")] if finding.suggestion else []
        parts += ["", f"{fence}{kind}", *code, fence]
        if suggestion and finding.checked:
            parts += [f"_{finding.checked}_"]
    text = "\n".join(parts).strip()
    if suggestion and len(text) > NEUTRALISE_LIMIT - 1_024:
        return comment_body(finding, suggestion=False, note=note)
    return text


def body_line(finding: Finding, link: LinkMaker) -> str:
    """A finding as a list item of the review body, linked to its line when possible."""
    url = link(finding.path, finding.start_line or finding.line)
    place_text = f"[`{finding.where}`]({url})" if url else f"`{finding.where}`"
    indented = shown_body(finding).replace("\n", "\n  ")
    return f"- {heading(finding)} — {place_text}\n  {indented}"
