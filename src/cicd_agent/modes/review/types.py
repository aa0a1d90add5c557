"""Review's step types: the facts (and the hand-off's), what the run tells analyse and decide
(:class:`Rules`, built from the run by :func:`rules`, for review and its hand-off, so those
steps read no run context), the verdict and the model's opinion."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import quote

from cicd_agent.analysis.findings import sort_findings
from cicd_agent.analysis.workflows.ignores import NO_EXEMPTIONS
from cicd_agent.local.zizmor import ZizmorAudit
from cicd_agent.modes.review import arguments
from cicd_agent.modes.review.ledger import Ledger
from cicd_agent.modes.review.ledger import parse as parse_ledger
from cicd_agent.modes.review.result import FailOn, FileNote, fail_on_of

if TYPE_CHECKING:
    from pathlib import Path

    from cicd_agent.analysis.diff import Diff
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.analysis.packing import Packing
    from cicd_agent.analysis.severity import Severity
    from cicd_agent.analysis.workflows.ignores import Exemptions, HonouredIgnore
    from cicd_agent.github.comments import Found
    from cicd_agent.job.context import RunContext, ToolRun
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.modes.review.answer import ReviewAnswer
    from cicd_agent.modes.review.diff_description import ChangeFacts, ModelText
    from cicd_agent.modes.review.keeps_passing import Kept
    from cicd_agent.modes.review.lint.lint_command import LintCommand
    from cicd_agent.modes.review.options import ReviewOptions
    from cicd_agent.modes.review.placement import LinkMaker


@dataclass(frozen=True)
class HeadFiles:
    """The reviewed head's files in the checkout collect opened, each read from git at most
    once. Read on demand: which files the model is shown (and so whose code above a hunk and
    whose lines its findings name matter) is known only once the prompt is packed against the
    model's budget, and reading every changed file up front would cost every run without a
    model.

    A reader on the facts, not data, and still a value the later steps cannot change: ``head``
    is a commit SHA collect resolved, so every answer is fixed when collect returns (a later
    write to the work tree or a moved branch changes nothing), whatever asks first; the memo
    is private and only ever holds those answers. ``texts`` is the one thing a step can do
    with it."""

    repo: GitCheckout
    head: str
    _read: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    def texts(self, paths: Sequence[str]) -> dict[str, str]:
        """The text of each of ``paths`` that is a file at head."""
        missing = [path for path in dict.fromkeys(paths) if path not in self._read]
        if missing:
            found = self.repo.read_texts(self.head, missing)
            self._read.update({path: found.get(path) for path in missing})
        return {path: text for path in paths if (text := self._read[path]) is not None}


@dataclass(frozen=True)
class PublishPlan:
    """Where the review goes: the pull request, its head, whether it may publish, and what
    earlier runs left. Gathered by ``collect`` (or the hand-off's), read by ``decide`` (the
    ledger's findings, the dismissed fingerprints) and by ``publish``."""

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
    def already_reviewed(self) -> bool:
        return self.head in self.previous.heads


@dataclass(frozen=True)
class AuditedWorkflows:
    """The workflow audit the checkers ran on the changed workflow files (the pure rules and
    zizmor's findings, most severe first), the findings an ignore comment left out, and
    zizmor's run."""

    findings: list[Finding]
    ignored: list[HonouredIgnore]
    tools: tuple[ToolRun, ...] = ()
    """zizmor's run, when a file needed it: back in the result, never noted on the run."""
    auditor: ZizmorAudit = field(default_factory=ZizmorAudit, compare=False, repr=False)
    """The auditor that ran zizmor, holding its answer: the risk's security floor reads the
    same files' findings from it (no ignore comment honoured), so zizmor runs once."""


@dataclass(frozen=True)
class ReviewFacts:
    """What changed and around it: the pull request's diff, the part to review, the risk."""

    diff: Diff
    review_diff: Diff
    plan: PublishPlan
    sources: HeadFiles | None
    """The head's files (None when the diff came from the API: there is no checkout)."""
    diff_findings: list[Finding]
    """``diff``'s own findings (secrets, debugger calls), workflow audits apart: collect scans
    the diff once, wherever it came from, for the risk floor and the findings."""
    title: str = ""
    body: str = ""
    commits: list[str] = field(default_factory=list)
    workflow_texts: dict[str, str] = field(default_factory=dict)
    incremental_from: str | None = None
    risk_level: str = "low"
    """The changed files' risk, until :func:`.risk.assess` adds a checkout's history."""
    risk_reasons: list[str] = field(default_factory=list)
    guidance: str = ""
    """The repository's advice for the model (guidance files, path instructions)."""
    left_out: tuple[str, ...] = ()
    """Changed files ``paths`` / ``paths-ignore`` leave out of the review."""
    exemptions: Exemptions = NO_EXEMPTIONS
    """Which ``# zizmor: ignore`` comments count (:func:`ignore_scope`)."""
    merge_base: str = ""
    """Where the pull request's branch left its base ("" for a diff read from the API)."""
    deepened: bool = False
    """Whether collect fetched more history to find ``merge_base``."""

    def keeps(self, finding: Finding) -> bool:
        """Whether a finding stays: secrets are reported wherever they are, anything else only
        on files the repository's path settings leave in."""
        return finding.rule == "secret" or finding.path not in self.left_out


@dataclass(frozen=True)
class LintedFacts:
    """The collected facts with what the checkers found on them (:mod:`.checkers`): analyse
    takes only this, so a wiring that calls it before the checkers ran does not type-check."""

    facts: ReviewFacts
    workflows: AuditedWorkflows
    """The workflow audit of the facts' ``workflow_texts`` (zizmor is a process)."""
    linted: list[Finding] = field(default_factory=list)
    """The repository's own linters' findings on the added lines (``linters``)."""
    linters: tuple[LintCommand, ...] = ()
    """The linters that ran: the suggestion check runs them again with each suggestion."""


@dataclass(frozen=True)
class HandoffFacts:
    """Review's facts for a publish-only run, plus the file's claims that survived the checks
    and its summary, made safe."""

    review: ReviewFacts
    claims: list[Finding] = field(default_factory=list)
    summary: str = ""

    def with_claims(self, found: Sequence[Finding]) -> list[Finding]:
        """``found`` (this run's own deterministic findings) plus the claims they do not repeat."""
        seen = {(f.rule, f.path, f.line) for f in found}
        extra = [c for c in self.claims if (c.rule, c.path, c.line) not in seen]
        return sort_findings([*found, *extra])


@dataclass(frozen=True)
class Rules:
    """What the run hands the steps that do not hold it (analyse, ask, decide): the options that
    shape the result, and the run's own redaction and links."""

    report_on: Severity
    fail_on: FailOn
    request_changes: bool
    max_findings: int
    describe_in: str
    sarif_file: str
    redact: Callable[[str], str]
    links: tuple[str, ...]
    """Where model text may still link: this repository on its server."""
    link: LinkMaker
    """Links to a line of the reviewed commit, for the review body."""
    posts: bool
    """Whether this run posts to the pull request (there is one, not a fork's, not a dry run,
    a token): the description goes nowhere a reader on GitHub sees otherwise."""
    max_model_calls: int
    """How many review calls ask may pack the diff into (``--max-model-calls``)."""
    summary: str | None = None
    """The summary when the model gave none (the hand-off's, from the review run); None: a
    plain count of what changed."""
    describe: bool = False
    """Whether analyse reads the diff's facts for the description (``--describe``)."""


def rules(
    ctx: RunContext[ReviewOptions],
    plan: PublishPlan,
    *,
    summary: str | None = None,
) -> Rules:
    """The rules of this run for the review ``plan`` says where to post."""
    chosen = ctx.mode_options
    fail_on = ctx.options.fail_on
    sarif = sarif_path(ctx)
    return Rules(
        describe=chosen.describe,
        report_on=chosen.report_on,
        fail_on=fail_on_of(fail_on),
        request_changes=chosen.request_changes,
        max_findings=chosen.max_findings,
        describe_in=chosen.describe_in,
        sarif_file=str(sarif or ""),
        redact=ctx.redactor.redact,
        links=ctx.own_links,
        link=line_links(ctx.server_url, ctx.repository, plan.head),
        posts=plan.number is not None
        and not plan.read_only
        and not ctx.options.dry_run
        and ctx.github is not None,
        max_model_calls=chosen.max_model_calls,
        summary=summary,
    )


def line_links(server: str, repository: str | None, head: str) -> LinkMaker:
    """Links to a line of the reviewed commit on GitHub (or GHES), for the review body."""

    def link(path: str, line: int | None) -> str | None:
        if not repository or not head:
            return None
        anchor = f"#L{line}" if line else ""
        return f"{server}/{repository}/blob/{head}/{quote(path)}{anchor}"

    return link


def sarif_path(ctx: RunContext[ReviewOptions]) -> Path | None:
    """``--sarif-file``, else ``$RUNNER_TEMP/cicd-agent-review.sarif`` on a runner, else none
    (``RunContext.runner_file``)."""
    chosen = ctx.mode_options.sarif_file
    return chosen if chosen is not None else ctx.runner_file(arguments.SARIF_NAME)


@dataclass(frozen=True)
class ReviewVerdict:
    """The deterministic findings over the whole pull request."""

    facts: ReviewFacts
    findings: list[Finding]
    ignored: list[HonouredIgnore] = field(default_factory=list)
    """Workflow findings left out by an ignore comment this run honours."""
    change: ChangeFacts | None = None
    """The diff's facts for ``describe`` (None when not describing)."""
    tools: tuple[ToolRun, ...] = ()
    """zizmor's run, when the audit started it: back in the result, never noted on the run."""
    linters: tuple[LintCommand, ...] = ()
    """The linters that ran (:attr:`LintedFacts.linters`), for the suggestion check."""


@dataclass(frozen=True)
class ModelReview:
    """The model's answers, the packing they came from, and the calls that failed."""

    answers: list[ReviewAnswer]
    packing: Packing
    failed_parts: list[int] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    """The shown files at head: the flagged lines anchor the findings' fingerprints, and
    ``decide`` drops findings on lines past a file's end without reading git itself."""

    @property
    def shown(self) -> set[str]:
        """Files the model saw in a call that answered."""
        return {
            path
            for index, part in enumerate(self.packing.parts)
            if index not in self.failed_parts
            for path in part.paths
        }

    @property
    def complete(self) -> bool:
        return self.packing.complete and not self.failed_parts

    def not_reviewed(self) -> list[FileNote]:
        notes = [FileNote(path=f.path, reason=f.reason) for f in self.packing.over_budget]
        notes += [FileNote(path=p, reason="some hunks did not fit") for p in self.packing.partial]
        for index in self.failed_parts:
            notes += [
                FileNote(path=p, reason="its model call failed")
                for p in self.packing.parts[index].paths
            ]
        return notes


@dataclass(frozen=True)
class ReviewOpinion:
    """What the ask step produced: the model's review of the diff (None when nothing was sent
    or no call answered) and its what and why of the change (None when not describing or when
    that call failed)."""

    review: ModelReview | None
    description: ModelText | None = None


SuggestionKey = tuple[str, int | None, int | None, str]
"""A suggestion as decide and the check both name it: path, start line, line, its text."""


def key_of(finding: Finding) -> SuggestionKey:
    return (finding.path, finding.start_line, finding.line, finding.suggestion or "")


@dataclass(frozen=True)
class SuggestionChecks:
    """The judge's word on each suggestion checked (:mod:`.suggestions`); one not in
    ``verdicts`` was not checked, and is never posted as a suggestion."""

    verdicts: Mapping[SuggestionKey, Kept] = field(default_factory=dict)
    why_unchecked: str = ""
    """Why suggestions went unchecked as a whole (no sandbox, no checkout; "" when none)."""


@dataclass(frozen=True)
class Merged:
    """The deterministic verdict's findings with the model's that name a shown file and an
    existing line, and how many of the model's were ``dropped``: merged once a run, read by the
    suggestion check (:func:`.decide.proposed`) and by ``decide``."""

    findings: tuple[Finding, ...]
    dropped: int = 0
