"""deploy-gate's options typed from what the run resolved: the phase chooses whose options are
read (the other phase's unset values cannot fail this one), times are read in the given zone,
and a confidence or a window out of range is refused."""

from __future__ import annotations

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.options import Given
from cicd_agent.modes.deploy_gate.canary.options import CanaryOptions
from cicd_agent.modes.deploy_gate.options import DeployOptions, phase_options


def test_the_deploy_phase_is_the_default_and_reads_its_own_options() -> None:
    options = phase_options(
        Given({"deploy_time": "2026-11-18T12:00:00", "timezone": "Europe/Paris"})
    )
    assert isinstance(options, DeployOptions)
    assert options.deploy_time is not None and options.deploy_time.utcoffset() is not None
    assert str(options.zone) == "Europe/Paris"
    assert sum(options.weights.values()) > 0
    assert 0 < options.approval_confidence <= 1 and options.failure_window_days >= 1


def test_the_canary_phase_does_not_read_the_deploy_phases_options() -> None:
    given = Given({"phase": "canary", "prometheus_url": "http://127.0.0.1:9090",
                   "approval_confidence": 7.0})  # fmt: skip
    assert isinstance(phase_options(given), CanaryOptions)
    with pytest.raises(UsageError, match="approval-confidence"):
        phase_options(Given({"approval_confidence": 7.0}))


def test_a_window_of_no_days_is_refused() -> None:
    with pytest.raises(UsageError, match="failure-window-days"):
        DeployOptions.from_given(Given({"failure_window_days": -3}))
