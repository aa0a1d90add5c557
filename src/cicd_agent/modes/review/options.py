"""Review's own options as one frozen, typed object: the only place that reads them.

The run's resolver (:mod:`cicd_agent.job.resolve`) has already checked each value's type and
range; this turns the values into typed fields with their defaults applied, once, before any git,
GitHub or model work (the core's ``begin`` builds it first, so a bad combination stops the run
there).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.review.arguments import (
    DEFAULT_MAX_FINDINGS,
    DEFAULT_MAX_MODEL_CALLS,
)

if TYPE_CHECKING:
    from cicd_agent.job.options import Given

DEFAULT_REPORT_ON = Severity.MEDIUM


@dataclass(frozen=True)
class ReviewOptions:
    """What ``cicd-agent review`` was asked to do."""

    base: str | None
    head: str | None
    report_on: Severity
    max_findings: int
    max_model_calls: int
    request_changes: bool
    describe: bool
    describe_in: Literal["body", "comment"]
    sarif_file: Path | None
    result_file: Path | None
    publish_from: Path | None
    audit_database_url: str | None = None
    """Where the verdict is also recorded (:mod:`cicd_agent.job.decisions`); a secret."""

    @classmethod
    def from_given(cls, given: Given) -> ReviewOptions:
        report_on = given.value("report_on")
        max_findings = given.whole("max_findings")
        max_model_calls = given.whole("max_model_calls")
        return cls(
            base=given.text("base"),
            head=given.text("head"),
            report_on=report_on if isinstance(report_on, Severity) else DEFAULT_REPORT_ON,
            max_findings=DEFAULT_MAX_FINDINGS if max_findings is None else max_findings,
            max_model_calls=(
                DEFAULT_MAX_MODEL_CALLS if max_model_calls is None else max_model_calls
            ),
            request_changes=given.flag("request_changes"),
            describe=given.flag("describe"),
            describe_in="comment" if given.text("describe_in") == "comment" else "body",
            sarif_file=given.path("sarif_file"),
            result_file=given.path("result_file"),
            publish_from=given.path("publish_from"),
            audit_database_url=given.text("audit_database_url") or None,
        )
