"""analyse-failure's result and its renderings: outputs, job summary, annotation and comment.

All of them read the same object, so the comment can never say something the outputs do not.
Log text and the model's words only appear in code spans, code blocks or neutralised prose
(:mod:`cicd_agent.actions.markdown`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from cicd_agent.actions.markdown import code_block, code_span, prose
from cicd_agent.actions.runner_io import Annotation
from cicd_agent.analysis.file_names import name_span
from cicd_agent.job.pipeline import NOT_SHOWN, Fixed, PlainResult
from cicd_agent.modes.analyse_failure.fix.outcome import FixOutcome, fix_section
from cicd_agent.modes.analyse_failure.log_facts import FailureGroup, FlakyTest, Recurrence
from cicd_agent.modes.analyse_failure.quarantine import QuarantineReport
from cicd_agent.modes.analyse_failure.summary_sections import failures_section, flaky_section

CHANGED_SHOWN = 10
"""Changed files named in the summary, likeliest culprit first (the outputs have all)."""
NO_RANGE = (
    "No changed line can be blamed: no change range was given, so the files above are only those"
    " the log names. Give one with `--base REF` (and `--head REF`, else the checkout's commit);"
    " on Actions, `pull_request` and `workflow_run` events carry it."
)
EXCERPT_LINES_SHOWN = 80
"""Lines of the excerpt shown in the comment and summary (the file output has all of it)."""


@dataclass(kw_only=True)
class JobOutcome:
    """One failed job as the outputs list it."""

    name: str
    failed_step: str | None
    conclusion: str
    exit_code: int | None = None
    failure_type: str
    root_cause: str = ""
    url: str = ""


@dataclass(kw_only=True)
class Responsible:
    """A file likely at fault: named by an error in the logs, by the model (checked), or by
    the change alone (``change``: its changed lines, when the log names only tests); ``frame``:
    a stack frame no file of the checkout holds, ``path`` the frame as the log prints it."""

    path: str
    lines: list[int] = field(default_factory=list)
    changed: bool = False
    source: Literal["logs", "model", "change", "frame"] = "logs"
    line_changed: bool = False
    """The line shown first is one the change wrote."""


@dataclass(kw_only=True)
class Advice:
    """What to do about the failure, in words: the model's, or the failure type's own. Never a
    patch: the only patch offered is :attr:`FailureResult.fix`, checked in the sandbox."""

    type: str
    description: str
    source: Literal["model", "deterministic"]


@dataclass(kw_only=True)
class FailureResult(PlainResult):
    """Why a run failed: the deterministic analysis, and the model's view where it was asked."""

    failure_type: str
    deterministic_failure_type: str
    model_failure_type: str | None = None
    root_cause: str
    failures: list[FailureGroup] = field(default_factory=list)
    """Each distinct failure once, real ones first, infrastructure noise last."""
    failure_groups: int = 0
    """How many distinct failures there are, ``failures`` holding the first of them."""
    failed_count: int = 0
    """Tests the runners name as failed, each once (0: no runner named a test)."""
    runner_failed: int = 0
    """The runner's own count of failures as its closing line prints it (0: none read)."""
    subtests_failed: int = 0
    """How many of ``runner_failed`` are subtests."""
    explanation: str = ""
    is_flaky: Literal["true", "likely", "false"] = "false"
    """``true`` with evidence from other runs, ``likely`` from signs in this log alone."""
    flaky_evidence: list[str] = field(default_factory=list)
    flaky_unread: str = ""
    """Evidence of flakiness that was there but not read, and why ("" for none)."""
    flaky_apart: dict[str, str] = field(default_factory=dict)
    """Failed tests the history shows are not flaky (failing every first run, passing only when
    retried apart from the suite; or classified order-dependent), with what shows it."""
    flaky_tests: list[FlakyTest] = field(default_factory=list)
    recurrence: Recurrence | None = None
    diff_dropped: int | None = None
    """Lines of the failed steps dropped because the last green run printed them too."""
    diff_lines: int | None = None
    baseline_url: str = ""
    confidence: float
    failed_jobs: list[JobOutcome] = field(default_factory=list)
    responsible_files: list[Responsible] = field(default_factory=list)
    responsible_commit: str | None = None
    advice: Advice | None = None
    fix: FixOutcome | None = None
    """What ``fix: suggest|pr`` produced (None when the fix step is off)."""
    quarantine: QuarantineReport | None = None
    """What the trusted settings' quarantine list says of the failed tests."""
    disagreements: list[str] = field(default_factory=list)
    signature: str
    excerpt: str
    excerpt_file: str = ""
    comment_url: str = ""
    run_id: int | None = None
    run_url: str = ""
    branch: str = ""
    changed_files: int | None = None
    changed_paths: list[str] = field(default_factory=list)
    """The change's files, likeliest culprit first (``logs.files.rank_changed``)."""
    baseline_used: bool = False
    logs_read: int = field(default=0, metadata=NOT_SHOWN)
    """How many job logs were read: with none (the API listed no failed job of a failed run,
    as for a workflow file GitHub could not read), nothing shows the run green."""

    rerun_due: bool = field(default=False, metadata=NOT_SHOWN)
    """``decide`` found the failed jobs due a re-run (:mod:`.rerun`): publish asks GitHub."""
    rerun_requested: bool = False
    """GitHub accepted the re-run of the failed jobs (``rerun-infrastructure``)."""
    rerun_reason: str = ""
    """Why the failed jobs were, or were not, re-run ("" when ``rerun-infrastructure`` is 0):
    ``decide``'s refusal, or what GitHub answered the ask."""

    POSTED: ClassVar[frozenset[str]] = frozenset(
        {"comment_url", "fix", "rerun_requested", "rerun_reason"}
    )
    """Where the comment went, the verified fix as published (its suggestions, its pull
    request, what could not be posted of it), and whether a re-run was asked for, and why."""

    def posted_outputs(self) -> frozenset[str]:
        # The outputs named as POSTED's fields, and the one output of the published fix that
        # posting learns (its other outputs, the status and the patch file, are decided).
        return super().posted_outputs() | {"fix_pr_url"}

    def mode_outputs(self) -> dict[str, object]:
        green = bool(self.logs_read) and not self.failed_jobs  # logs were read, none failed
        return {
            "failure_type": "none" if green else self.failure_type,
            "root_cause": self.root_cause,
            "is_flaky": self.is_flaky,
            "flaky_tests": self.flaky_tests,
            "quarantined": self.quarantine.matched if self.quarantine else [],
            "confidence": Fixed(self.confidence, 2),
            "failed_jobs": self.failed_jobs,
            "responsible_files": self.responsible_files,
            "comment_url": self.comment_url,
            "excerpt_file": self.excerpt_file,
            "fix_status": self.fix.status if self.fix else "none",
            "fix_patch_path": self.fix.patch_path if self.fix else "",
            "fix_pr_url": self.fix.pr_url if self.fix else "",
            "rerun_requested": self.rerun_requested,
            "rerun_reason": self.rerun_reason,
        }

    def make_headline(self) -> str:
        """Decide's headline; every rendering reads ``headline``, which finish completes."""
        if self.service_failure:
            return f"The run's logs could not be read: {self.service_failure}"
        if not self.failed_jobs and not self.logs_read:
            return "No job log was read: nothing here says whether the run failed, or why."
        if not self.failed_jobs:
            return (
                "No failure found: no job in the logs is marked failed, and no line of "
                "them reads as an error."
            )
        if self.quarantine is not None and self.quarantine.applies:
            owners = ", ".join(
                dict.fromkeys(code_span("@" + q.owner, 140) for q in self.quarantine.matched)
            )
            return (
                f"The run failed only in quarantined flaky test(s) (owner {owners}): "
                "not counted as a failure."
            )
        first = self.failed_jobs[0]
        others = len(self.failed_jobs) - 1
        where = f"job {code_span(first.name, 80)}"
        if first.failed_step:
            where += f" (step {code_span(first.failed_step, 80)})"
        if others:
            where += f" and {others} other job(s)"
        flaky = {
            "true": "it looks flaky",
            "likely": "it may be flaky",
        }.get(self.is_flaky, "it does not look flaky")
        kind = _kind(self.failure_type, self.root_cause)
        return f"The run failed with {kind} in {where}; {flaky}."

    def summary_body(self, *, comment: bool = False) -> str:
        """Everything after the headline, shared by the job summary and the comment."""
        if not self.failed_jobs:
            return ""
        parts = [self._root_cause_section(), self._failures_section(), self._jobs_table()]
        parts.append(self._blame_section())
        parts.append(self._flaky_section())
        parts.append(self.quarantine.markdown() if self.quarantine else "")
        parts.append(self._history_section())
        if self.fix is not None:
            parts.append(fix_section(self.fix, comment=comment))
        if self.advice is not None:
            parts.append(self._advice_section(self.advice))
        if self.disagreements:
            parts.append(
                "**Where the model disagrees** (the deterministic result is the one reported "
                "in the outputs):\n" + "\n".join(f"- {prose(d)}" for d in self.disagreements)
            )
        if self.excerpt:
            lines = self.excerpt.splitlines()
            shown = "\n".join(lines[:EXCERPT_LINES_SHOWN])
            more = len(lines) - EXCERPT_LINES_SHOWN
            kept = (
                "in the excerpt file (the `excerpt_file` output)"
                if self.excerpt_file
                else "not shown: the whole excerpt is in `--json` (the excerpt file is written "
                "only on a runner)"
            )
            tail = f"\n\n… {more} more line(s) {kept}." if more > 0 else ""
            parts.append(
                f"<details><summary>Log excerpt ({len(lines)} lines)</summary>\n\n"
                f"{code_block(shown)}{tail}\n\n</details>"
            )
        return "\n\n".join(part for part in parts if part)

    def _root_cause_section(self) -> str:
        cause = code_span(self.root_cause) if self.root_cause else "(no error line found)"
        text = f"**Root cause:** {cause}"
        if self.explanation:
            text += f"\n\n{prose(self.explanation)}"
        return text

    def _failures_section(self) -> str:
        return failures_section(
            self.failures,
            self.failed_count,
            self.failure_groups,
            (self.runner_failed, self.subtests_failed),
        )

    def _jobs_table(self) -> str:
        rows = ["| Job | Step | Result | Type |", "|---|---|---|---|"]
        for job in self.failed_jobs[:20]:
            code = f" (exit {job.exit_code})" if job.exit_code is not None else ""
            # A table cell ends at every unescaped |, inside a code span too (GitHub's tables):
            # job and step names are the pull request's words (``pytest | tee log``).
            name = _cell(code_span(job.name, 80))
            if job.url.startswith("https://"):
                name = f"[{name}]({job.url})"
            rows.append(
                f"| {name} | {_cell(code_span(job.failed_step or '?', 80))} | "
                f"{job.conclusion}{code} | {job.failure_type} |"
            )
        return "\n".join(rows)

    def _blame_section(self) -> str:
        lines: list[str] = []
        if self.responsible_files:
            named = []
            for item in self.responsible_files[:8]:
                where = item.path + (f":{item.lines[0]}" if item.lines else "")
                marks = (
                    [("changed" if item.line_changed or not item.lines else "in a changed file")]
                    if item.changed
                    else []
                )
                marks += ["named by the model"] if item.source == "model" else []
                marks += (
                    ["not in the log: the failing tests name no source"]
                    if (item.source == "change")
                    else []
                )
                marks += (
                    ["a stack frame: no file of the checkout found"]
                    if (item.source == "frame")
                    else []
                )
                # a log's words or the model's: a name with a newline or an override, escaped
                named.append(name_span(where, 200) + (f" ({', '.join(marks)})" if marks else ""))
            lines.append("**Likely responsible:** " + ", ".join(named))
        if self.responsible_commit:
            lines.append(f"**Likely commit:** {code_span(self.responsible_commit[:12])}")
        if self.changed_files is None and self.responsible_files:
            lines.append(NO_RANGE)
        if self.changed_files is not None:
            shown = ", ".join(code_span(path, 200) for path in self.changed_paths[:CHANGED_SHOWN])
            more = len(self.changed_paths) - CHANGED_SHOWN
            shown += f" and {more} more" if more > 0 else ""
            lines.append(
                f"<sub>{self.changed_files} file(s) changed in the change under test"
                + (f": {shown}" if shown else "")
                + ".</sub>"
            )
        return "\n\n".join(lines)

    def _flaky_section(self) -> str:
        return flaky_section(
            self.is_flaky,
            self.flaky_evidence,
            self.flaky_tests,
            unread=self.flaky_unread,
            apart=self.flaky_apart,
        )

    def _history_section(self) -> str:
        lines: list[str] = []
        if self.diff_lines:
            where = "the last green run" + (f" ({self.baseline_url})" if self.baseline_url else "")
            lines.append(
                f"**Log diff:** {self.diff_dropped or 0} of {self.diff_lines} line(s) of the "
                f"failed steps also appear in {where} and were left out of the analysis."
            )
        recurrence = self.recurrence
        if recurrence is not None and recurrence.earlier:
            seen = ", ".join(
                f"[run {p.run_id}]({p.url})" if p.url.startswith("https://") else f"run {p.run_id}"
                for p in recurrence.earlier
            )
            text = f"**Seen before:** the same failure happened in {seen}."
            if recurrence.stopped_at_sha:
                text += (
                    f" It stopped after commit {code_span(recurrence.stopped_at_sha[:12])} "
                    f"(run {recurrence.stopped_at_run}): a candidate fix to compare with."
                )
            lines.append(text)
        return "\n\n".join(lines)

    def _advice_section(self, advice: Advice) -> str:
        who = "the model" if advice.source == "model" else "the failure type"
        return f"**Suggested fix** ({advice.type}, from {who}): {prose(advice.description)}"

    def annotations(self) -> list[Annotation]:
        if not self.failed_jobs or not self.root_cause:
            return []
        top = next((f for f in self.responsible_files if f.source in ("logs", "change")), None)
        quarantined = self.quarantine is not None and self.quarantine.applies
        return [
            Annotation(
                "warning" if quarantined else "error",
                self.root_cause,
                title=f"cicd-agent: {self.failure_type}",
                file=top.path if top else None,
                line=top.lines[0] if top and top.lines else None,
            )
        ]

    def comment_markdown(self, occurrences: Sequence[tuple[int, str]]) -> str:
        """The PR or commit comment: headline, details and where this failure was seen."""
        title = "### cicd-agent: why the run failed"
        parts = [title, self.headline, self.summary_body(comment=True)]
        if len(occurrences) > 1:
            seen = ", ".join(
                f"[run {run}]({url})" if url else f"run {run}" for run, url in occurrences
            )
            parts.append(
                f"<sub>The same failure was seen {len(occurrences)} times on "
                f"{code_span(self.branch, 100)}: {seen}.</sub>"
            )
        elif self.run_url:
            parts.append(f"<sub>[Workflow run]({self.run_url}).</sub>")
        parts.append(f"<sub>Signature {self.signature}. {self.usage.summary_line()}</sub>")
        return "\n\n".join(part for part in parts if part)


_WORDS = {
    "oom": "an out-of-memory kill",
    "unknown": "an error of unknown kind",
    "infrastructure": "an infrastructure problem",
    "config_error": "a configuration error",
}


_KILLED = re.compile(r"SIGKILL|signal: killed|\bKilled\b|\b137\b")
"""A root cause that shows only the kernel's signal 9 (cargo's, go's, a shell's words, exit
status 137), not which limit sent it."""


def _kind(failure_type: str, root_cause: str = "") -> str:
    if failure_type == "oom" and _KILLED.search(root_cause):
        return (
            "a process killed by signal 9 (SIGKILL; most often the runner's memory limit, "
            "which the log does not show)"
        )
    words = failure_type.replace("_", " ")
    article = "an" if words[:1] in tuple("aeiou") else "a"
    return _WORDS.get(failure_type, f"{article} {words}")


def _cell(text: str) -> str:
    """``text`` inside one table cell: its ``|`` escaped (the span shows them as they were)."""
    return text.replace("|", "\\|")
