"""Review's risk level, the step after the checkers (:func:`assess`): the core's change risk
(:func:`~cicd_agent.risk.service.change_risk`) of the commits when the checkout holds them,
whose security floor reads the checkers' zizmor run, else the priors and floors of the changed
files alone (:func:`risk_without_history`: collect's, and the hand-off phase's, which has no
checkout)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.changes import ChangedFile
from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.range_findings import security_of
from cicd_agent.risk.evidence import DiffAtHand
from cicd_agent.risk.service import change_risk, files_risk

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import Diff, FileDiff
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.job.context import RunContext
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.modes.review.options import ReviewOptions
    from cicd_agent.modes.review.types import LintedFacts

_STATUS_LETTERS = {"added": "A", "modified": "M", "deleted": "D", "renamed": "R", "copied": "C"}
RISK_REASONS = 5
"""Reasons of the risk assessment shown in the summary."""


def assess(ctx: RunContext[ReviewOptions], linted: LintedFacts) -> LintedFacts:
    """``linted`` with its facts' risk the core's change risk of the commits, when they came
    from the checkout (a diff from the API keeps collect's risk of its files alone). The
    security floor is the diff's secrets and the workflow findings of the checkers' own zizmor
    run, no ignore comment honoured: a pull request's comment may quiet a finding, never lower
    the risk it brings."""
    facts = linted.facts
    if facts.sources is None:
        return linted
    found = facts.diff_findings
    auditor = linted.workflows.auditor
    level, reasons = local_risk(
        ctx,
        facts.sources.repo,
        facts.merge_base,
        facts.plan.head,
        facts.diff,
        deepened=facts.deepened,
        security=lambda: security_of(facts.diff, facts.workflow_texts, found, auditor),
    )
    return replace(linted, facts=replace(facts, risk_level=level, risk_reasons=reasons))


def local_risk(
    ctx: RunContext[ReviewOptions],
    repo: GitCheckout,
    merge_base: str,
    head: str,
    diff: Diff,
    *,
    deepened: bool = False,
    security: Callable[[], list[Finding]] | None = None,
) -> tuple[str, list[str]]:
    """The core's change risk of the commits (:func:`~cicd_agent.risk.service.change_risk`) from
    ``diff`` (the same range, read once: git is not asked for it again) and ``security``, its
    secret and workflow findings from the review's own scan."""
    at_hand = diff_at_hand(diff)
    try:
        change = read_change_set(repo.git, head, merge_base, files=at_hand.files)
        assessment = change_risk(
            ctx, change, deepened=deepened, text=at_hand.text, security=security
        )
    except UsageError as exc:
        ctx.note(
            f"The change history could not be read ({exc.message}); risk is from the files alone."
        )
        return risk_without_history(diff)
    return assessment.risk_level.value, [r.message for r in assessment.reasons[:RISK_REASONS]]


def diff_at_hand(diff: Diff) -> DiffAtHand:
    """``diff`` as the risk assessment reads a change: its files as ``--numstat`` gives them
    and its text by path."""
    return DiffAtHand(tuple(_changed_file(f) for f in diff.files), diff.patch_text)


def risk_without_history(diff: Diff, *, cut: bool = False) -> tuple[str, list[str]]:
    """The priors and floors from the changed files alone (when no history is at hand);
    ``cut``: the checkout is shallow and could not be deepened, so the shallow floor says
    "shallow clone: set `fetch-depth: 0`" as deploy-gate's does."""
    assessment = files_risk([_changed_file(f) for f in diff.files], shallow=cut)
    return assessment.risk_level.value, [r.message for r in assessment.reasons[:RISK_REASONS]]


def _changed_file(changed: FileDiff) -> ChangedFile:
    # As git's --numstat counts them: a submodule has no lines, a binary file no counts.
    counted = not (changed.submodule or changed.is_binary)
    return ChangedFile(
        path=changed.path,
        added=changed.added if counted else 0,
        deleted=changed.removed if counted else 0,
        status=_STATUS_LETTERS[changed.status],
        old_path=changed.old_path,
        binary=changed.is_binary and not changed.submodule,
        submodule=changed.submodule,
    )
