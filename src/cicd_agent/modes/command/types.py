"""The command mode's step types: the facts (the comment, its plan, what doing it needs), the
verdict (the deterministic verdict answer for ``ask``) and the model's opinion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.github.threads import CommentKind, ThreadStart
    from cicd_agent.job.change_reader import ChangeReading
    from cicd_agent.job.payloads import Comment
    from cicd_agent.modes.command.plan import Plan


@dataclass(frozen=True)
class CommandFacts:
    """The comment, what to do with it, and what was read to do it (frozen: collect builds it
    stage by stage, and no later step changes it)."""

    plan: Plan
    kind: CommentKind
    number: int | None
    comment: Comment
    thread: ThreadStart | None = None
    pull: PullRequestInfo | None = None
    reacted: bool = False
    review: ChangeReading | None = None
    findings: tuple[Finding, ...] = ()
    written_head: str | None = None
    """The head the comment was written at, when the event records one (a line comment)."""
    checkout_head: str | None = None
    """For ``gen-tests``, which runs the code on disk: the commit the checkout is at (None when
    it cannot be read)."""
    review_offline: bool = False
    """Review's own run has no model (the base commit's ``review: provider: none``): its
    change goes to no model, so ``ask`` answers from what the deterministic review knows."""


@dataclass(frozen=True)
class CommandVerdict:
    """The analyse step's result: the facts, and for ``ask`` what the deterministic review
    knows (the answer without a model, and the deterministic verdict under the model's)."""

    facts: CommandFacts
    deterministic_answer: str = ""


@dataclass(frozen=True)
class CommandOpinion:
    """The ask step's result: the model's answer as it gave it (decide redacts it and makes it
    inert), and whether the material shown settles the question."""

    answer: str
    grounded: bool
