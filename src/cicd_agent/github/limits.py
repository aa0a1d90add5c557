"""GitHub's size limits on text we send: a body over one is refused with 422, losing the whole
comment, so it is cut with a visible note (the verdict comes first in every rendering) and
neutralised again, as a cut can leave code open."""

from __future__ import annotations

from cicd_agent.actions.markdown import Neutral, fitted

COMMENT_BODY_MAX = 65_536
PULL_BODY_MAX = 65_536
"""A pull request's description (its body): longer is refused, so describe does not edit it."""
CHECK_SUMMARY_MAX = 65_535
CHECK_TITLE_MAX = 255
ANNOTATIONS_PER_REQUEST = 50

_NOTE = "\n\n… (truncated by cicd-agent: GitHub limits this text to {limit} characters)"


def fit(
    text: Neutral, limit: int, *, reserve: int = 0, allowed_links: tuple[str, ...] = ()
) -> Neutral:
    """``text`` cut to ``limit - reserve`` characters, with a note when anything was cut
    (``allowed_links``: where the cut text may still link; a poster, not knowing, keeps none)."""
    return fitted(text, limit - reserve, _NOTE.format(limit=limit), allowed_links=allowed_links)
