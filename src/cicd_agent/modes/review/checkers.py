"""Review's checkers, the step between collect and analyse (:func:`lint`): the linters and type
checkers with their build-error placement, the parse check and zizmor's workflow audit (its
auditor handed on in the result: the risk's security floor reads the same answer). Each is a
process, sandboxed where it runs the pull request's code, so it runs here and analyse only
reads what it found."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.analysis.diff import Diff
from cicd_agent.analysis.findings import sort_findings
from cicd_agent.job.context import ToolRun
from cicd_agent.local.zizmor import ZizmorAudit
from cicd_agent.modes.review.lint.linters import lint_changes
from cicd_agent.modes.review.lint.syntax import parse_changed, said_once
from cicd_agent.modes.review.types import AuditedWorkflows, LintedFacts

if TYPE_CHECKING:
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.job.context import RunContext
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.modes.review.lint.lint_command import LintCommand
    from cicd_agent.modes.review.options import ReviewOptions
    from cicd_agent.modes.review.types import ReviewFacts


def lint(
    ctx: RunContext[ReviewOptions], facts: ReviewFacts, *, linters: bool = True
) -> LintedFacts:
    """``facts`` with what the checkers found on them: the workflow audit, and the
    repository's linters and the parse check when ``linters`` says so and the
    diff came from the checkout (one read from the API has no files to check). Reading a
    change for another mode leaves the linters out (:func:`.describe.read_change`)."""
    linted: list[Finding] = []
    ran: tuple[LintCommand, ...] = ()
    if linters and facts.sources is not None:
        linted, ran = _linted(ctx, facts, facts.sources.repo)
    return LintedFacts(facts, _audited_workflows(facts), linted, ran)


def _linted(
    ctx: RunContext[ReviewOptions], facts: ReviewFacts, repo: GitCheckout
) -> tuple[list[Finding], tuple[LintCommand, ...]]:
    kept = Diff(tuple(f for f in facts.diff.files if f.path not in facts.left_out))
    head = facts.plan.head
    assert facts.diff.base is not None  # a diff read from the checkout names its base commit
    start = repo.merge_base(facts.diff.base, head)
    linted, linters = lint_changes(ctx, repo, kept, head, start, whole=facts.diff)
    parsed = parse_changed(ctx, repo, kept, (start, head), linted)
    return said_once(linted, parsed), linters


def _audited_workflows(facts: ReviewFacts) -> AuditedWorkflows:
    """The audit of ``facts``' workflow files under their ignore comments' scope; the diff's
    own findings are analyse's (:func:`.decide.audit`)."""
    if not facts.workflow_texts:
        return AuditedWorkflows([], [])
    # YAML's parser comes with the audit: a change that touches no workflow never loads it.
    from cicd_agent.analysis.workflows.audit import audit_workflows

    zizmor = ZizmorAudit()
    audited = audit_workflows(facts.diff, facts.workflow_texts, zizmor, facts.exemptions)
    said = ToolRun(tool="zizmor", could_not_run=zizmor.could_not_run)
    ran = () if zizmor.ran is None else (said,)  # None: no file needed it
    found = sort_findings(audited.findings)
    return AuditedWorkflows(found, audited.ignored, ran, zizmor)
