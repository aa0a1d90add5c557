"""Review's own options as one frozen, typed object: the only place that reads them from argparse.

argparse (with the action inputs filled in) has already checked each value's type and range;
this turns the namespace into typed fields with their defaults applied, once, before any git,
GitHub or model work (``Review.run`` builds it first, so a bad combination stops the run there).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cicd_agent.modes.review.arguments import (
    DEFAULT_MAX_FINDINGS,
    DEFAULT_MAX_MODEL_CALLS,
)
from cicd_agent.severity import Severity

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
    def from_args(cls, args: argparse.Namespace) -> ReviewOptions:
        report_on = args.report_on
        return cls(
            base=args.base,
            head=args.head,
            report_on=report_on if isinstance(report_on, Severity) else DEFAULT_REPORT_ON,
            max_findings=DEFAULT_MAX_FINDINGS if args.max_findings is None else args.max_findings,
            max_model_calls=(
                DEFAULT_MAX_MODEL_CALLS if args.max_model_calls is None else args.max_model_calls
            ),
            request_changes=bool(args.request_changes),
            describe=bool(args.describe),
            describe_in="comment" if args.describe_in == "comment" else "body",
            sarif_file=_path(args.sarif_file),
            result_file=_path(args.result_file),
            publish_from=_path(args.publish_from),
            audit_database_url=getattr(args, "audit_database_url", None) or None,
        )


def _path(value: object) -> Path | None:
    return None if value is None else Path(str(value))
