"""The canary phase's pure steps (``canary/decide.py``): samples Prometheus could not give are
judged blind (continue, never promote), and the result says so as a service failure whose
error is redacted; a verdict on real samples is worded in the headline."""

from __future__ import annotations

from cicd_agent.modes.deploy_gate.canary.decide import decide, judge_samples
from cicd_agent.modes.deploy_gate.canary.types import CanarySamples
from tests.modes.deploy_gate.helpers.canary import scenario_config

SECRET = "s3cret-prom-pass"


def test_unread_samples_are_judged_blind_and_never_promoted() -> None:
    config = scenario_config("healthy")
    samples = CanarySamples(baseline={}, canary={}, error=f"connection refused ({SECRET})")
    verdict = judge_samples(samples, config)
    assert (verdict.verdict, verdict.healthy, verdict.rollback) == ("continue", False, False)
    result = decide(verdict, redact=lambda text: text.replace(SECRET, "***"))
    assert result.headline.startswith("Canary verdict: continue — the judge could not see")
    assert result.service_failure is not None
    assert result.service_failure.startswith("The metric store could not be read: ")
    assert SECRET not in result.service_failure and "***" in result.service_failure


def test_a_canary_as_good_as_its_baseline_is_worded_with_its_score() -> None:
    config = scenario_config("healthy")
    same = {spec.name: tuple(float(10 + n % 3) for n in range(40)) for spec in config.metrics}
    verdict = judge_samples(CanarySamples(baseline=same, canary=dict(same)), config)
    result = decide(verdict, redact=str)
    assert result.service_failure is None
    assert result.headline.startswith(f"Canary verdict: {verdict.verdict} (score ")
