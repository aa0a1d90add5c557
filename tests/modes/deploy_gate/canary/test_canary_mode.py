"""The canary phase's wiring: samples from Prometheus, judged offline, worded; no model is
ever asked (a statistical test over real samples is the judge), and a phase that could not
finish neither promotes nor rolls back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cicd_agent.modes.deploy_gate.canary import mode as canary
from cicd_agent.modes.deploy_gate.canary.collect import collect
from cicd_agent.modes.deploy_gate.canary.decide import decide, judge_samples
from cicd_agent.modes.deploy_gate.mode import MODE
from cicd_agent.modes.deploy_gate.options import phase_options
from tests.harness.prometheus_server import PrometheusServer
from tests.helpers.context import run_context
from tests.modes.deploy_gate.helpers.canary import PROMETHEUS_LOGIN, scenario_config


def _context(tmp_path: Path, prometheus: PrometheusServer, scenario: str, *argv: str) -> Any:
    flags = [
        "--phase", "canary", "--repo", str(tmp_path),
        "--prometheus-url", prometheus.url, "--canary-end", str(prometheus.end),
        "--canary-config", scenario_config(scenario).model_dump_json(exclude_defaults=True),
    ]  # fmt: skip
    ctx, _ = run_context(
        "deploy-gate",
        [*flags, *argv],
        {**PROMETHEUS_LOGIN, "OPENAI_API_KEY": "sk-test"},
        phase_options,
    )
    return ctx


def test_a_slower_canary_is_rolled_back_and_the_model_is_never_asked(
    tmp_path: Path, prometheus_server: PrometheusServer, model_server: Any
) -> None:
    model = ("--provider", "openai", "--base-url", model_server.base_url, "--model", "gpt-4o-mini")
    ctx = _context(tmp_path, prometheus_server, "latency_up30", *model)
    result, _ = canary.run(ctx)
    outputs = result.outputs()
    assert (outputs["verdict"], outputs["rollback"]) == ("rollback", "true")
    assert model_server.chat_requests == []


def test_an_identical_low_risk_canary_is_promoted(
    tmp_path: Path, prometheus_server: PrometheusServer
) -> None:
    ctx = _context(
        tmp_path, prometheus_server, "identical", "--provider", "none", "--risk-level", "low"
    )
    facts = collect(ctx)
    verdict = judge_samples(facts.samples, facts.config, facts.state)
    result = decide(verdict, redact=ctx.redactor.redact)
    assert result.judgement.verdict == "promote" and result.judgement.healthy


def test_a_phase_that_could_not_finish_neither_promotes_nor_rolls_back(tmp_path: Path) -> None:
    ctx, _ = run_context(
        "deploy-gate", ["--phase", "canary", "--repo", str(tmp_path)], {}, phase_options
    )
    assert MODE.failure_outputs(ctx) == {
        "verdict": "continue", "rollback": "false", "healthy": "false", "canary_score": "0",
    }  # fmt: skip
