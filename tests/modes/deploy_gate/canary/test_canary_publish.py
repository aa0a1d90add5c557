"""The canary phase's one write: its verdict and per-metric evidence in the decision record,
when ``audit-database-url`` is set; without one nothing is written anywhere.

The phase's steps on a real context, against a real Prometheus and a real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from cicd_agent.modes.deploy_gate.canary.collect import collect
from cicd_agent.modes.deploy_gate.canary.decide import decide, judge_samples
from cicd_agent.modes.deploy_gate.canary.publish import publish
from cicd_agent.modes.deploy_gate.canary.result import CanaryResult
from cicd_agent.modes.deploy_gate.options import phase_options
from tests.harness.postgres_server import PostgresServer
from tests.harness.prometheus_server import PrometheusServer
from tests.helpers.context import run_context
from tests.modes.deploy_gate.helpers.canary import PROMETHEUS_LOGIN, scenario_config


def canary_context(tmp_path: Path, prometheus: PrometheusServer, scenario: str, *argv: str) -> Any:
    """``deploy-gate --phase canary`` on ``scenario``'s series, at the server's end time."""
    flags = [
        "--phase", "canary", "--provider", "none", "--repo", str(tmp_path),
        "--prometheus-url", prometheus.url, "--canary-end", str(prometheus.end),
        "--canary-config", scenario_config(scenario).model_dump_json(exclude_defaults=True),
    ]  # fmt: skip
    ctx, _ = run_context("deploy-gate", [*flags, *argv], PROMETHEUS_LOGIN, phase_options)
    return ctx


def judged(ctx: Any) -> CanaryResult:
    facts = collect(ctx)
    verdict = judge_samples(facts.samples, facts.config, facts.state)
    return decide(verdict, redact=ctx.redactor.redact)


def test_the_verdict_and_its_evidence_land_in_the_decision_record(
    tmp_path: Path, prometheus_server: PrometheusServer, postgres_server: PostgresServer
) -> None:
    url = postgres_server.database("canary_publish")
    ctx = canary_context(
        tmp_path, prometheus_server, "latency_up30", "--audit-database-url", url,
        "--environment", "production", "--risk-level", "high",
    )  # fmt: skip
    result = judged(ctx)
    publish(ctx, result)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT mode, phase, decision, risk_level, environment, record FROM cicd_agent_decisions"
        ).fetchall()
    ((mode, phase, decision, level, environment, record),) = rows
    assert (mode, phase, decision, level, environment) == (
        "deploy-gate",
        "canary",
        "rollback",
        "high",
        "production",
    )
    assert (record["verdict"], record["rollback"], record["healthy"]) == ("rollback", True, True)
    assert {m["name"] for m in record["metrics"]} == {"latency", "errors"}
    assert record["reasons"] == list(result.judgement.reasons) and record["reasons"]
    assert ctx.notes == []


def test_without_a_database_nothing_is_written_and_nothing_is_said(
    tmp_path: Path, prometheus_server: PrometheusServer
) -> None:
    ctx = canary_context(tmp_path, prometheus_server, "identical", "--risk-level", "low")
    result = judged(ctx)
    publish(ctx, result)
    assert result.judgement.verdict == "promote"
    assert ctx.notes == [] and list(tmp_path.iterdir()) == []
