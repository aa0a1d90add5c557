"""Review's one result object and everything rendered from it.

Step outputs, the job summary, the summary comment on the pull request, the posted review's
body, the dry-run Markdown and the annotations are all views of :class:`ReviewResult`, so they
cannot disagree. The summary comment also carries the hidden ledger of reviewed head commits
that lets the next ``synchronize`` review only what is new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from cicd_agent.actions.markdown import Neutral, Reference, neutralise, posted, with_hidden
from cicd_agent.actions.runner_io import Annotation, AnnotationLevel
from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.finding_text import annotation_heading, origin
from cicd_agent.analysis.severity import Severity, parse_severity
from cicd_agent.analysis.workflows.ignores import HonouredIgnore
from cicd_agent.github.limits import COMMENT_BODY_MAX, fit
from cicd_agent.github.review_threads import REVIEW_HEADING
from cicd_agent.job.pipeline import PlainResult
from cicd_agent.modes.review.ledger import Ledger

ReviewDecision = Literal["approve", "comment", "request_changes"]
"""What a review decides, and the event it posts (``modes.deploy_gate.policy.Decision`` is
deploy-gate's)."""
SUMMARY_KEY = "review-summary"
"""Key of the hidden marker that finds the summary comment again on the next run."""
LISTED_IN_SUMMARY = 100
"""Files named per list in the summary; the rest are counted."""
SUMMARY_LIMIT = 1200
"""Characters of model summary kept (the output ``summary`` is one paragraph)."""

LEVELS: dict[Severity, AnnotationLevel] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
}
"""A finding's level in the annotations, and so in the check run (``failure`` for ``error``) and
the SARIF file (``note`` for ``notice``)."""


@dataclass(kw_only=True)
class FileNote:
    """A file the model did not see, and why."""

    path: str
    reason: str


def ignored_line(honoured: HonouredIgnore) -> str:
    """The summary's line for a workflow finding an ignore comment left out."""
    where = f":{honoured.finding_line}" if honoured.finding_line else ""
    return (
        f"- {name_span(f'{honoured.path}{where}')}: {honoured.severity} {honoured.title} "
        f"({honoured.audit}), left out by `# zizmor: ignore[{honoured.audit}]` on line "
        f"{honoured.comment_line}: honoured because {honoured.why}."
    )


@dataclass(kw_only=True)
class InlineNote:
    """An inline comment as placed (or as it would be, in a dry run)."""

    path: str
    line: int
    start_line: int | None = None
    body: str
    moved_from: int | None = None


def cut(text: str, limit: int) -> str:
    """``text`` stripped and cut to ``limit`` characters with an ellipsis when it was longer."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fitted(text: str, limit: int, *, one_line: bool = False, links: tuple[str, ...] = ()) -> str:
    """Redacted untrusted text as review posts it: flattened (``one_line``) and cut to
    ``limit``, then neutralised (no HTML, mentions, markers, links outside ``links``): in that
    order, since a flattening or a cut after neutralising turns code kept verbatim into live
    prose."""
    if one_line:
        text = " ".join(text.split())
    text = cut(text, limit)
    return neutralise(text, allowed_links=links) if text else ""


FailOn = Severity | Literal["none"] | None
"""Review's ``fail-on``: a severity, ``none`` (nothing fails the step), or not set."""


def fail_on_of(value: str | None) -> FailOn:
    """``fail-on`` as given (a flag, an input, the settings file) as review's policy."""
    if not value:
        return None
    return "none" if value.strip().lower() == "none" else parse_severity(value, option="fail-on")


def does_not_build(finding: Finding) -> bool:
    """Whether ``finding`` is a build error the change makes: it does not compile, type-check
    or parse (a deterministic checker's; a model's word is not a build)."""
    return finding.category == "build" and finding.source == "deterministic"


def blocking(findings: Sequence[Finding], fail_on: FailOn) -> list[Finding]:
    """Findings at or above ``fail-on``, and every build error unless it is ``none``: a change
    that does not build fails the step even with no level set."""
    if fail_on == "none":
        return []
    return [
        f for f in findings if does_not_build(f) or (fail_on is not None and f.severity >= fail_on)
    ]


@dataclass(kw_only=True)
class ReviewResult(PlainResult):
    """Everything review decided; the outputs, summary, comment and review render from it."""

    decision: ReviewDecision
    risk_level: str
    risk_reasons: list[str] = field(default_factory=list)
    risk_scored: str | None = None
    """The level the core's change risk gave where the change not building raised it, else
    None."""
    summary: str
    report_on: str
    fail_on: str | None = None
    findings: list[Finding] = field(default_factory=list)
    ignored: list[HonouredIgnore] = field(default_factory=list)
    """Workflow findings an ignore comment left out (each one listed in the summary)."""
    comments: list[InlineNote] = field(default_factory=list)
    body_items: list[str] = field(default_factory=list)
    not_posted: int = 0
    not_reviewed: list[FileNote] = field(default_factory=list)
    listed_only: list[FileNote] = field(default_factory=list)
    files_changed: int = 0
    reviewed_files: int = 0
    model_calls: int = 0
    base: str | None = None
    head: str | None = None
    incremental_from: str | None = None
    pull_request: int | None = None
    review_url: str = ""
    summary_url: str = ""
    sarif_file: str = ""
    rejected_comments: int = 0
    findings_new: int = 0
    """Reported findings no earlier run reported."""
    findings_open: int = 0
    """Reported findings an earlier run reported too (still there)."""
    findings_resolved: int = 0
    """Findings the last run reported that are gone now."""
    findings_dismissed: int = 0
    """Reported findings not posted again: a writer dismissed their comment with a reaction."""
    earlier_review: bool = False
    """Whether an earlier run's record (our summary comment on the pull request) was read:
    without one no finding is new or resolved since, and the summary says so."""
    fingerprints: dict[str, str] = field(default_factory=dict)
    """Fingerprint → source (``d``/``m``) of each reported finding, for the ledger."""
    posted_fingerprints: list[str] = field(default_factory=list)
    """Fingerprints of the findings this run's review posts (inline or in its body)."""
    description: str = ""
    """The change description (``describe``), as Markdown."""
    description_in: str = ""
    """Where the description went: ``body``, ``comment``, or empty (not written)."""
    review_event: Literal["", "APPROVE", "REQUEST_CHANGES", "COMMENT"] = ""
    """The event GitHub accepted for the review (``APPROVE``, ``REQUEST_CHANGES``,
    ``COMMENT``): a refused approval goes as ``COMMENT`` while ``decision`` stays ``approve``;
    empty when no review was posted (a dry run, a fork, a commit already reviewed)."""

    FINDINGS_ANNOTATED: ClassVar[bool] = True
    """A critical or high finding is an ``::error`` in the job log, a step that passes or not."""
    POSTED: ClassVar[frozenset[str]] = frozenset(
        {"review_url", "summary_url", "review_event", "description_in", "comments"}
        | {"body_items", "rejected_comments", "posted_fingerprints"}
    )
    """Where the review and summary comment went, the event GitHub took, where the description
    went when the body could not be edited, the inline comments GitHub refused (moved into the
    body), and no finding counted posted when no review was."""

    # ---------------------------------------------------------------------------- figures

    @property
    def reported(self) -> list[Finding]:
        """Findings at or above ``report-on``: what is posted, annotated and in the SARIF."""
        threshold = parse_severity(self.report_on, option="report-on")
        return [f for f in self.findings if f.severity >= threshold]

    def mode_outputs(self) -> dict[str, object]:
        return {
            "decision": self.decision,
            "risk_level": self.risk_level,
            "findings_count": len(self.reported),
            "critical_count": sum(f.severity == Severity.CRITICAL for f in self.findings),
            "high_count": sum(f.severity == Severity.HIGH for f in self.findings),
            "summary": self.summary,
            "review_url": self.review_url,
            "review_event": self.review_event,
            "sarif_file": self.sarif_file,
            "findings_new": self.findings_new,
            "findings_open": self.findings_open,
            "findings_resolved": self.findings_resolved,
            "description_in": self.description_in,
        }

    def policy_failure(self, fail_on: str | None) -> str | None:
        hits = blocking(self.findings, fail_on_of(fail_on))
        if not hits:
            return None
        if broken := [f for f in hits if does_not_build(f)]:
            return (
                f"the change does not build: {len(broken)} build error(s) it makes, "
                f"which fail the step unless fail-on is none; the first: {broken[0].title} "
                f"({broken[0].where})."
            )
        worst = hits[0]
        return (
            f"{len(hits)} finding(s) at or above {fail_on}; the most severe: "
            f"{worst.severity.label} {worst.title} ({worst.where})."
        )

    def gate_value(self) -> str | None:
        worst = max((f.severity for f in self.findings), default=None)
        return worst.label if worst else None

    def references(self) -> tuple[Reference, ...]:
        return () if self.pull_request is None else (Reference(self.pull_request),)

    def posted_references(self) -> tuple[Reference, ...]:
        """The review and summary GitHub answered with are on the pull request reviewed: a
        link to any other number stays text."""
        return tuple(ref for ref in super().posted_references() if ref in self.references())

    def annotations(self) -> list[Annotation]:
        """One per reported finding, most severe first (the runner shows 10 per level)."""
        return [
            Annotation(
                LEVELS[f.severity],
                f.body,
                title=annotation_heading(f),
                file=f.path,
                line=f.start_line or f.line,
                end_line=f.line if f.start_line else None,
            )
            for f in self.reported
        ]

    # ------------------------------------------------------------------------------ text

    def counts_phrase(self) -> str:
        reported = self.reported
        if not reported:
            return f"no findings at or above {self.report_on}"
        levels = [
            f"{n} {level.label}"
            for level in sorted(Severity, reverse=True)
            if (n := sum(1 for f in reported if f.severity == level))
        ]
        return f"{len(reported)} finding(s) ({', '.join(levels)})"

    def make_headline(self) -> str:
        """Decide's headline; every rendering reads ``headline``, which finish completes."""
        decision = self.decision.replace("_", " ")
        broken = sum(does_not_build(f) for f in self.findings)
        builds = f"the change does not build ({broken} build error(s)); " if broken else ""
        return (
            f"Review decision: {decision}; {builds}{self.counts_phrase()}; risk {self.risk_level}."
        )

    def summary_body(self) -> str:
        lines = [self.summary, "", *self._facts_table(), ""]
        if self.reported:
            lines += ["| severity | where | finding |", "|---|---|---|"]
            for f in self.reported:
                where = name_span(f.where).replace("|", "\\|")
                title = f.title.replace("|", "\\|")
                lines.append(f"| {f.severity.label}{origin(f)} | {where} | {title} |")
            lines.append("")
        if self.ignored:
            lines += [f"**Ignore comments honoured** ({len(self.ignored)})", ""]
            lines += [ignored_line(honoured) for honoured in self.ignored] + [""]
        if self.description and not self.description_in:  # not written to GitHub: shown here
            lines += [self.description, ""]
        lines += _file_list("Files not reviewed by the model", self.not_reviewed)
        lines += _file_list(
            "Files listed but never sent (binary, generated, lockfiles)", self.listed_only
        )
        if self.risk_reasons:
            lines += ["<details><summary>Why this risk level</summary>", ""]
            same = (
                "deploy-gate gives the same change this same level (one scorer: the change "
                "ranked against the repository's own history)."
                if self.risk_scored is None
                else f"Before its build errors the change scored {self.risk_scored} (ranked "
                "against the repository's own history); deploy-gate, which builds nothing but "
                "parses the changed files, may give it another level."
            )
            lines += [f"- {reason}" for reason in self.risk_reasons] + [
                "",
                same,
                "",
                "</details>",
                "",
            ]
        return "\n".join(lines)

    def _facts_table(self) -> list[str]:
        reviewed = (
            f"commits since `{self.incremental_from[:12]}` (earlier ones were reviewed before)"
            if self.incremental_from
            else "the whole pull request"
        )
        model = (
            f"{self.reviewed_files} of {self.files_changed} file(s) in "
            f"{self.model_calls} model call(s)"
            if self.model_calls
            else "deterministic checks only"
        )
        # new, still open, resolved (and dismissed) findings, by fingerprint
        tracking = (
            f"{self.findings_new} new, {self.findings_open} still open, "
            f"{self.findings_resolved} resolved"
            if self.earlier_review
            else "none to compare with: no earlier review of this pull request was read"
        )
        if self.findings_dismissed:
            tracking += f"; {self.findings_dismissed} dismissed with a reaction (not posted again)"
        rows = [
            ("Decision", f"**{self.decision.replace('_', ' ')}**"),
            ("Risk", self.risk_level),
            ("Findings", self.counts_phrase()),
            ("Since earlier runs", tracking),
            ("Fail on", self.fail_on or "not set"),
            ("Reviewed", reviewed),
            ("Model", model),
        ]
        if self.review_url:
            rows.append(("Review", self.review_url))
        return ["| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows]]

    def review_body(self) -> str:
        """The body of the posted review: verdict, summary, and what could not go inline."""
        lines = [f"{REVIEW_HEADING} · {self.headline}", "", self.summary]
        if self.body_items:
            lines += ["", f"**Findings not on a changed line** ({len(self.body_items)})", ""]
            lines += self.body_items
        if self.not_posted:
            lines += [
                "",
                f"_{self.not_posted} more finding(s) are in the check run and SARIF "
                "file (max-findings)._",
            ]
        if self.not_reviewed:
            names = ", ".join(name_span(n.path) for n in self.not_reviewed[:20])
            more = len(self.not_reviewed) - 20
            lines += [
                "",
                f"Not reviewed by the model (budget): {names}"
                + (f" and {more} more" if more > 0 else "")
                + ".",
            ]
        return "\n".join(lines).strip()

    def dry_run_markdown(self) -> str:
        """What would be posted: the review body, then each inline comment with its place."""
        parts = ["## Review (dry run: nothing was posted)", "", self.review_body(), ""]
        if self.description:
            parts += ["## Description (dry run: the body was not edited)", "", self.description, ""]
        for comment in self.comments:
            span = (
                f"{comment.start_line}-{comment.line}" if comment.start_line else str(comment.line)
            )
            parts += [f"### {name_span(comment.path)} line {span}", "", comment.body, ""]
        return "\n".join(parts)

    def summary_comment(self, ledger: Ledger, links: tuple[str, ...] = ()) -> Neutral:
        """The pull request's summary comment, neutralised as a whole (``links``: where it may
        link), with the hidden ledger at its end."""
        notes = [f"- {note}" for note in self.notes]
        parts = ["### cicd-agent review", "", self.headline, "", self.summary_body()]
        if self.description and self.description_in == "comment":
            parts += [self.description, ""]
        if notes:
            parts += ["**Notes**", "", *notes, ""]
        hidden = ledger.render()
        # GitHub's limit cuts the visible text, never the ledger at the end (the marker that
        # ``with_marker`` adds after it is reserved for too).
        visible = posted("\n".join(parts), allowed_links=links)
        visible = fit(visible, COMMENT_BODY_MAX, reserve=len(hidden) + 200, allowed_links=links)
        return with_hidden(visible, *hidden.splitlines())


def _file_list(title: str, notes: Sequence[FileNote]) -> list[str]:
    if not notes:
        return []
    lines = [f"<details><summary>{title} ({len(notes)})</summary>", ""]
    lines += [f"- {name_span(n.path)} ({n.reason})" for n in notes[:LISTED_IN_SUMMARY]]
    if len(notes) > LISTED_IN_SUMMARY:
        lines.append(f"- … and {len(notes) - LISTED_IN_SUMMARY} more")
    return [*lines, "", "</details>", ""]
