"""analyse-failure's own options as one frozen, typed object: the only place that reads them.

argparse (with the action inputs filled in) has already checked each value's type; this turns
the namespace into typed fields, once, before any GitHub or model work (``AnalyseFailure.run``
builds it first, so a bad value stops the run there).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cicd_agent.runner.errors import UsageError

FixRequest = Literal["off", "suggest", "pr"]
FIX_CHOICES: tuple[FixRequest, ...] = ("off", "suggest", "pr")


@dataclass(frozen=True)
class AnalyseFailureOptions:
    """What ``cicd-agent analyse-failure`` was asked to do."""

    logs: Path | None
    run_id: int | None
    base: str | None
    head: str | None
    slack_webhook_url: str | None
    fix: FixRequest = "off"
    """``suggest``: a verified patch as a file and on the pull request; ``pr``: also a draft PR."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> AnalyseFailureOptions:
        run_id = args.run_id
        if run_id is not None and run_id < 1:
            raise UsageError(f"run-id must be a workflow run id (1 or more), got {run_id}.")
        return cls(
            logs=Path(args.logs) if args.logs else None,
            run_id=run_id,
            base=args.base or None,
            head=args.head or None,
            slack_webhook_url=args.slack_webhook_url or None,
            fix=_fix(args.fix),
        )


def _fix(value: str | None) -> FixRequest:
    """argparse checked the choice already; a config-file value arrives the same way."""
    if not value:
        return "off"
    if value not in FIX_CHOICES:
        raise UsageError(f"fix must be one of {', '.join(FIX_CHOICES)}, got {value!r}.")
    return value
