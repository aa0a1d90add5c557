"""The deploy phase's own options as one frozen, typed object: the only place that reads them.

The run's resolver (:mod:`cicd_agent.job.resolve`) has already checked each value's type; this
parses what a type cannot (weights, policy, time zone, business hours, freeze windows, deploy time)
and checks ranges (``approval-confidence`` in [0, 1]), once, before any git, GitHub or model work
(``DeployGate.run`` builds it first, so a bad value stops the run there with exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from cicd_agent.job.options import Given
    from cicd_agent.modes.deploy_gate.policy import Policy
    from cicd_agent.modes.deploy_gate.safety import SignalName
    from cicd_agent.modes.deploy_gate.windows import BusinessHours, FreezeWindow

from cicd_agent.modes.deploy_gate.arguments import (
    DEFAULT_APPROVAL_CONFIDENCE,
    DEFAULT_FAILURE_WINDOW_DAYS,
)
from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions


@dataclass(frozen=True)
class DeployOptions:
    """What ``cicd-agent deploy-gate --phase deploy`` was asked to do."""

    base: str | None
    head: str | None
    environment: str | None
    junit: str | None
    build_report: str | None
    eval_report: str | None
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
    def from_given(cls, given: Given) -> DeployOptions:
        # Here, not at the top: the mode module imports this one, and policy brings pydantic,
        # which importing a mode must not (tests/project/test_mode_imports.py).
        from cicd_agent.modes.deploy_gate import policy as policies
        from cicd_agent.modes.deploy_gate import safety, windows

        # The order of the checks is the order a user reads the errors in: keep it stable.
        text = given.text
        weights = safety.parse_weights(text("safety_weights"))
        policy = policies.parse_policy(text("policy"))
        zone = windows.parse_timezone(text("timezone"))
        hours = windows.parse_business_hours(text("business_hours"))
        freezes = windows.parse_freeze_windows(text("freeze_windows"), zone)
        moment = windows.parse_moment(text("deploy_time"), zone)
        confidence, days = given.number("approval_confidence"), given.whole("failure_window_days")
        if confidence is not None and not 0.0 <= confidence <= 1.0:
            raise UsageError(f"approval-confidence must be between 0 and 1, got {confidence}.")
        if days is not None and days < 0:
            raise UsageError(f"failure-window-days must be 1 or more, got {days}.")
        return cls(
            base=text("base"),
            head=text("head"),
            environment=text("environment"),
            junit=text("junit"),
            build_report=text("build_report"),
            eval_report=text("eval_report"),
            coverage=text("coverage"),
            base_coverage=text("base_coverage"),
            weights=weights,
            policy=policy,
            zone=zone,
            hours=hours,
            freezes=freezes,
            deploy_time=moment,
            approval_confidence=DEFAULT_APPROVAL_CONFIDENCE if confidence is None else confidence,
            # unset, or 0 as an empty input: the default, as it always has been
            failure_window_days=days or DEFAULT_FAILURE_WINDOW_DAYS,
            workflow=text("workflow"),
            branch=text("branch"),
            audit_file=given.path("audit_file"),
            audit_database_url=text("audit_database_url") or None,
            cache_dir=given.path("cache_dir"),
            slack_webhook_url=text("slack_webhook_url") or None,
            freeze_windows_text=text("freeze_windows"),
            business_hours_text=text("business_hours"),
            timezone_text=text("timezone"),
        )


PhaseOptions = DeployOptions | CanaryOptions
"""deploy-gate's options: the selected phase's."""


def phase_options(given: Given) -> PhaseOptions:
    """The options of the phase ``--phase`` selects (deploy unless it says canary); the other
    phase's options are not read, so its unset values cannot fail this one."""
    if given.text("phase") == "canary":
        return CanaryOptions.from_given(given)
    return DeployOptions.from_given(given)
