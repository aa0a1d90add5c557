"""One finding, the value every review renderer shares: its own module so ``findings`` and the
workflow auditor, which both build findings, need not import each other."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256
from typing import Literal

from cicd_agent.analysis.file_names import escaped
from cicd_agent.analysis.severity import Severity, parse_severity


def _severity(value: object) -> Severity:
    if isinstance(value, Severity):
        return value
    if isinstance(value, int):
        return Severity(value)
    return parse_severity(str(value))


FindingSource = Literal["deterministic", "model", "claim"]
"""Who says so: this run's own checks, the model, or the result file of the pull request's own
run (the fork-safe hand-off), whatever that file calls its findings."""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem on one file (``line`` None: the whole file), rendered as a comment, an
    annotation and a SARIF result. Never read from outside as it is: a model's answer and the
    hand-off file are validated by their own schemas first."""

    rule: str
    severity: Severity
    category: str
    path: str
    line: int | None = None
    start_line: int | None = None
    title: str
    body: str
    suggestion: str | None = None
    checked: str = ""
    """What review's suggestion check ran with ``suggestion`` applied: the line
    under a posted suggestion block; "" for one that was not checked."""
    confidence: float = 1.0
    source: FindingSource = "deterministic"

    anchor: str = ""
    """What the finding is about, independent of where it sits: a digest of its flagged
    line(s) and which occurrence of that content it is (:func:`fingerprint_findings`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", _severity(self.severity))
        confidence = float(self.confidence)
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"a finding's confidence is between 0 and 1, not {confidence}")
        object.__setattr__(self, "confidence", confidence)

    def to_json(self) -> dict[str, object]:
        """As ``--json`` shows it: every field in order, the severity by its name."""
        return {
            "rule": self.rule,
            "severity": self.severity.label,
            "category": self.category,
            "path": self.path,
            "line": self.line,
            "start_line": self.start_line,
            "title": self.title,
            "body": self.body,
            "suggestion": self.suggestion,
            "checked": self.checked,
            "confidence": self.confidence,
            "source": self.source,
            "anchor": self.anchor,
        }

    @property
    def where(self) -> str:
        """``path:line`` as every text names the finding: its first line, where the annotation
        and SARIF start it (``line`` ends a range), so the summary's table, the review body and
        the annotation never give two numbers for one finding."""
        first = self.start_line or self.line
        return f"{self.path}:{first}" if first else self.path

    @property
    def prompt_line(self) -> str:
        """How a model is shown the finding (``- high rule at path:3: Title``), the path escaped."""
        where = f"{escaped(self.path)}:{self.line}" if self.line else escaped(self.path)
        return f"- {self.severity.label} {self.rule} at {where}: {self.title}"

    @property
    def fingerprint(self) -> str:
        """Stable across runs, line shifts and unrelated edits: the rule, the file, and the
        anchor (the flagged content), never the line number. Without an anchor, the title."""
        what = self.anchor or self.title
        # surrogatepass: a path or line that was not UTF-8 hashes too (as it always has when it was)
        key = f"{self.rule}\0{self.path}\0{what}"
        return sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
