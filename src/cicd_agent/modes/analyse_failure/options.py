"""analyse-failure's own options as one frozen, typed object: the only place that reads them.

argparse (with the action inputs filled in) has already checked each value's type; this turns
the namespace into typed fields, once, before any GitHub or model work (``AnalyseFailure.run``
builds it first, so a bad value stops the run there).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.errors import UsageError


@dataclass(frozen=True)
class AnalyseFailureOptions:
    """What ``cicd-agent analyse-failure`` was asked to do."""

    logs: Path | None
    run_id: int | None
    base: str | None
    head: str | None
    slack_webhook_url: str | None

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
        )
