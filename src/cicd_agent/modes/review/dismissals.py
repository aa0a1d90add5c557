"""Findings a maintainer dismissed on an earlier push, by reacting to their inline comment.

Each inline comment review posts ends with a hidden marker naming the finding's fingerprint
(:mod:`cicd_agent.analysis.finding_text`). On the next run, a 👎 or 😕 from a user with write
access on one of *our* comments (``github.reactions``) keeps that finding from being posted
again; a reaction from anyone else, or a marker in a comment someone else wrote, changes
nothing. The finding still counts in the check run, the SARIF file and ``fail-on``: a reaction
is a wish for less noise, not a waiver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.analysis.finding_text import MARKER
from cicd_agent.runner.errors import GitHubError

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.review.options import ReviewOptions


def dismissed_findings(ctx: RunContext[ReviewOptions], number: int) -> frozenset[str]:
    """Fingerprints a writer dismissed on ``number`` (none offline or when unreadable)."""
    client = ctx.github
    if client is None:
        return frozenset()
    try:
        return client.dismissed(number, MARKER)
    except GitHubError as exc:
        ctx.note(f"Could not read the reactions on earlier review comments ({exc.message}).")
        return frozenset()
