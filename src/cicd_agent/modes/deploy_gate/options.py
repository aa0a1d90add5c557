"""The deploy phase's own options as one frozen, typed object: the only place that reads them.

argparse (with the action inputs filled in) has already checked each value's type; this parses
what a type cannot (weights, policy, time zone, business hours, freeze windows, deploy time) and
checks ranges (``approval-confidence`` in [0, 1]), once, before any git, GitHub or model work
(``DeployGate.run`` builds it first, so a bad value stops the run there with exit 2).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.runner.errors import UsageError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from cicd_agent.analysis.policy import BusinessHours, FreezeWindow, Policy
    from cicd_agent.analysis.signals import SignalName

from cicd_agent.modes.deploy_gate.arguments import (
    DEFAULT_APPROVAL_CONFIDENCE,
    DEFAULT_FAILURE_WINDOW_DAYS,
)


@dataclass(frozen=True)
class DeployOptions:
    """What ``cicd-agent deploy-gate --phase deploy`` was asked to do."""

    base: str | None
    head: str | None
    environment: str | None
    junit: str | None
    coverage: str | None
    base_coverage: str | None
    weights: dict[SignalName, float]
    policy: Policy
    zone: ZoneInfo
    hours: BusinessHours
    freezes: list[FreezeWindow]
    deploy_time: datetime | None
    """The moment the change window is judged at; None: now."""
    approval_confidence: float
    failure_window_days: int
    workflow: str | None
    branch: str | None
    audit_file: Path | None
    audit_database_url: str | None
    """Where every verdict is also recorded (:mod:`cicd_agent.job.decisions`); a secret."""
    cache_dir: Path | None
    slack_webhook_url: str | None
    freeze_windows_text: str | None
    business_hours_text: str | None
    timezone_text: str | None
    """The three inputs as given, for the audit record."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DeployOptions:
        # Here, not at the top: the mode module imports this one, and policy brings pydantic
        # (0.31 s, `python -X importtime -c "import cicd_agent.analysis.policy"`), which
        # importing a mode must not (tests/project/test_mode_imports.py).
        from cicd_agent.analysis import policy as policies
        from cicd_agent.analysis import signals

        # The order of the checks is the order a user reads the errors in: keep it stable.
        weights = signals.parse_weights(args.safety_weights)
        policy = policies.parse_policy(args.policy)
        zone = policies.parse_timezone(args.timezone)
        hours = policies.parse_business_hours(args.business_hours)
        freezes = policies.parse_freeze_windows(args.freeze_windows, zone)
        moment = policies.parse_moment(args.deploy_time, zone)
        return cls(
            base=args.base,
            head=args.head,
            environment=args.environment,
            junit=args.junit,
            coverage=args.coverage,
            base_coverage=args.base_coverage,
            weights=weights,
            policy=policy,
            zone=zone,
            hours=hours,
            freezes=freezes,
            deploy_time=moment,
            approval_confidence=_approval_confidence(args.approval_confidence),
            failure_window_days=_failure_window_days(args.failure_window_days),
            workflow=args.workflow,
            branch=args.branch,
            audit_file=Path(args.audit_file) if args.audit_file else None,
            audit_database_url=args.audit_database_url or None,
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            slack_webhook_url=args.slack_webhook_url or None,
            freeze_windows_text=args.freeze_windows,
            business_hours_text=args.business_hours,
            timezone_text=args.timezone,
        )


def _approval_confidence(value: float | None) -> float:
    if value is None:
        return DEFAULT_APPROVAL_CONFIDENCE
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"approval-confidence must be between 0 and 1, got {value}.")
    return float(value)


def _failure_window_days(value: int | None) -> int:
    if not value:  # unset, or 0 as an empty input: the default, as it always has been
        return DEFAULT_FAILURE_WINDOW_DAYS
    if value < 0:
        raise UsageError(f"failure-window-days must be 1 or more, got {value}.")
    return int(value)
