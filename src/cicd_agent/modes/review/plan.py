"""Where a review goes: the pull request, its head, whether it may publish, and what earlier
runs left.

Gathered by ``collect`` (or the hand-off's), read by ``decide`` (the ledger's findings, the
dismissed fingerprints) and by ``publish``: a module of its own so neither step imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from cicd_agent.modes.review.ledger import Ledger
from cicd_agent.modes.review.ledger import parse as parse_ledger

if TYPE_CHECKING:
    from cicd_agent.github.comments import Found


@dataclass(frozen=True)
class PublishPlan:
    """Where the review goes, gathered while collecting."""

    number: int | None
    head: str
    read_only: bool = False
    """The run's token may not write (a fork's own ``pull_request`` run): whether it may
    publish, which says nothing of whether the code is trusted (:mod:`cicd_agent.github.trust`)."""
    summary: Found | None = None
    """Our summary comment as collect listed it: updated in place without listing again."""
    dismissed: frozenset[str] = frozenset()
    """Fingerprints whose inline comment a writer dismissed with a reaction."""

    @cached_property
    def previous(self) -> Ledger:
        """What earlier runs recorded in the summary comment (reviewed heads, findings, the
        description's digest): read from it, so the two cannot disagree."""
        return parse_ledger(self.summary.body if self.summary else None)

    @property
    def ledger(self) -> tuple[str, ...]:
        """The heads earlier runs reviewed, oldest first."""
        return tuple(self.previous.heads)

    @property
    def already_reviewed(self) -> bool:
        return self.head in self.previous.heads
