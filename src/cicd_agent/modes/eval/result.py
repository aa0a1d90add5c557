"""The eval mode's result: the verdict with its figures (these names are what workflows and
deploy-gate read), the per-case table for the summary and the pull request comment, and an
annotation on the config line of each case that regressed. Every word from the config (a case's
description, an error quoting it) is shown as code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from cicd_agent.actions.markdown import code_span
from cicd_agent.actions.runner_io import Annotation
from cicd_agent.job.pipeline import Fixed, PlainResult

SHOWN = 50
"""Cases the table shows before it counts the rest."""


@dataclass(frozen=True, kw_only=True)
class CaseRow:
    """One case of both sides."""

    id: str
    base_rate: float
    head_rate: float
    file: str = ""
    line: int = 0
    """Where the head's config writes the case's test (0: not known, a results file)."""
    error: str = ""
    """Why the case could not be asked or judged on a side ("" when it could)."""

    @property
    def delta(self) -> float:
        return self.head_rate - self.base_rate


@dataclass(kw_only=True)
class EvalResult(PlainResult):
    mode: str = "eval"
    head: str = ""
    """The head commit judged (deploy-gate reads a report only for its own head)."""
    verdict: str = "insufficient"
    reasons: list[str] = field(default_factory=list)
    pass_rate_base: float = 0.0
    pass_rate_head: float = 0.0
    delta: float = 0.0
    ci95: tuple[float, float] = (0.0, 0.0)
    p_value: float = 1.0
    test: str = ""
    mde80: float = 1.0
    cases: int = 0
    repeats: int = 0
    source: str = ""
    """Where the pass rates come from: the config asked here, or which tool's results files."""
    regressed_cases: list[CaseRow] = field(default_factory=list)
    rows: list[CaseRow] = field(default_factory=list)
    base_only: list[str] = field(default_factory=list)
    head_only: list[str] = field(default_factory=list)
    cost: float = 0.0
    comment_url: str = ""

    POSTED: ClassVar[frozenset[str]] = frozenset({"comment_url"})

    def mode_outputs(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "pass_rate_base": Fixed(self.pass_rate_base, 4),
            "pass_rate_head": Fixed(self.pass_rate_head, 4),
            "delta": Fixed(self.delta, 4),
            "ci95": [round(self.ci95[0], 4), round(self.ci95[1], 4)],
            "p_value": Fixed(self.p_value, 4),
            "mde80": Fixed(self.mde80, 4),
            "cases": self.cases,
            "regressed_cases": [regressed(row) for row in self.regressed_cases],
            "cost": Fixed(self.cost, 4),
            "comment_url": self.comment_url,
        }

    def policy_failure(self, fail_on: str | None) -> str | None:
        if fail_on == "regressed" and self.verdict == "regressed":
            return "the head regressed: " + "; ".join(self.reasons)
        if fail_on == "insufficient" and self.verdict in ("regressed", "insufficient"):
            return f"the verdict is {self.verdict}: " + "; ".join(self.reasons)
        return None

    def annotations(self) -> list[Annotation]:
        return [
            Annotation(
                "error" if self.verdict == "regressed" else "warning",
                f"This case passes {row.head_rate:.0%} of samples on the head, "
                f"{row.base_rate:.0%} on the base.",
                title=f"cicd-agent eval: {row.id[:120]}",
                file=row.file or None,
                line=row.line or None,
            )
            for row in self.regressed_cases
        ]

    def summary_body(self) -> str:
        return body(self)


def regressed(row: CaseRow) -> dict[str, object]:
    """A regressed case as the outputs give it: its id, rates and the config's line."""
    return {
        "id": row.id,
        "base_rate": round(row.base_rate, 4),
        "head_rate": round(row.head_rate, 4),
        "file": row.file,
        "line": row.line,
    }


def cell(text: str, limit: int) -> str:
    """Untrusted text as code in a table cell: a ``|`` in it would start another column."""
    return code_span(text, limit=limit).replace("|", "\\|")


def pct(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def pts(rate: float) -> str:
    return f"{rate * 100:+.1f}"


def body(result: EvalResult) -> str:
    low, high = result.ci95
    lines = [
        "| | base | head | difference (points) |",
        "|---|---:|---:|---:|",
        f"| pass rate | {pct(result.pass_rate_base)} | {pct(result.pass_rate_head)} | "
        f"{pts(result.delta)} (95 % interval {pts(low)} to {pts(high)}) |",
        "",
        f"{result.cases} cases in both, up to {result.repeats} sample(s) a case a side; p = "
        f"{result.p_value:.3g} ({result.test}); a drop of {result.mde80 * 100:.1f} points or "
        f"more is caught 80 % of the time. Source: {result.source}.",
        "",
        *[f"- {reason}" for reason in result.reasons],
        "",
    ]
    changed = sorted(result.rows, key=lambda row: (row.delta, row.id))
    shown = [row for row in changed if row.delta != 0 or row.error][:SHOWN]
    if shown:
        lines += ["| case | base | head | where | note |", "|---|---:|---:|---|---|"]
        for row in shown:
            where = f"{cell(row.file, 100)}:{row.line}" if row.file else ""
            note = cell(row.error, 160) if row.error else ""
            lines.append(
                f"| {cell(row.id, 100)} | {pct(row.base_rate)} | "
                f"{pct(row.head_rate)} | {where} | {note} |".replace("\n", " ")
            )
        hidden = sum(1 for row in changed if row.delta != 0 or row.error) - len(shown)
        if hidden > 0:
            lines.append(f"\nand {hidden} more changed cases (in the JSON report).")
        lines.append("")
    for title, keys in (
        ("Only in the base", result.base_only),
        ("Only in the head", result.head_only),
    ):
        if keys:
            listed = ", ".join(code_span(key, limit=80) for key in keys[:SHOWN])
            counted = (
                "counted as failing on the head" if keys is result.base_only else ("not counted")
            )
            lines += [f"**{title}** ({counted}): {listed}", ""]
    return "\n".join(lines)
