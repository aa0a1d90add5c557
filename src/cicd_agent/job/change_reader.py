"""What one mode offers another about a pull request's change: the command mode answers ``ask``
and ``describe`` from review's reading, reached through the registry and this seam alone, so the
values crossing are :class:`ChangeReading` and :class:`DescribeOutcome`, never the offering
mode's own types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import Diff
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.job.context import RunContext


@dataclass(frozen=True)
class ChangeReading:
    """A change as a mode read it at one head, with what its deterministic checks found."""

    diff: Diff
    shown_diff: Diff
    """The part of the diff a model may be shown (generated and vendored files left out)."""
    title: str
    body: str
    risk_level: str
    risk_reasons: tuple[str, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class DescribeOutcome:
    """Where a description of the change went. ``markdown`` is always set: a caller that could
    not write the body (``written_to`` ``none``, ``reason`` says why) can post it elsewhere."""

    markdown: str
    written_to: Literal["body", "none"]
    reason: str = ""
    digest: str = ""
    """Digest of the section placed in the body (recorded in the review's ledger)."""


@runtime_checkable
class ReadsChanges(Protocol):
    """A mode that reads a pull request's change for another mode and describes it."""

    def read_change(self, run: RunContext[Any]) -> ChangeReading:
        """The change at ``run``'s head and its deterministic findings, read in ``run`` (the
        offering mode's own run context, its settings from the base commit)."""
        ...

    def describe_change(
        self, ctx: RunContext[Any], pull: PullRequestInfo, run: RunContext[Any]
    ) -> DescribeOutcome:
        """The change described, asked in ``run``, written by ``ctx``."""
        ...
