"""deploy-gate and review record their verdicts in PostgreSQL when ``audit-database-url`` is set:
the row holds the decision and its evidence, a database that is down never fails the gate, and
the URL (a secret) is never printed."""

from __future__ import annotations

import psycopg
import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.postgres_server import PostgresServer
from tests.harness.prometheus_server import free_port
from tests.helpers.cli import run_cli

WEEKDAY_NOON = "2026-11-18T12:00:00+00:00"


@pytest.fixture
def change(tmp_path) -> tuple[GitRepoBuilder, str, str]:  # type: ignore[no-untyped-def]
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app/orders.py": "def total(x):\n    return x\n"})
    head = repo.commit(
        "Add a migration",
        {"app/migrations/0002_drop.py": "operations = [migrations.RemoveField('o', 'f')]\n"},
    )
    return repo, base, head


def _deploy(tmp_path, repo, base, head, url):  # type: ignore[no-untyped-def]
    argv = [
        "deploy-gate", "--provider", "none", "--repo", str(repo.path), "--base", base,
        "--head", head, "--deploy-time", WEEKDAY_NOON, "--environment", "production",
    ]  # fmt: skip
    environ = {"GITHUB_REPOSITORY": "acme/shop", "INPUT_AUDIT-DATABASE-URL": url}
    return run_cli(argv, tmp_path, environ)


def test_a_deploy_verdict_lands_in_the_database_with_its_evidence(
    tmp_path, change, postgres_server: PostgresServer
) -> None:  # type: ignore[no-untyped-def]
    repo, base, head = change
    url = postgres_server.database("deploy_verdict")
    done = _deploy(tmp_path, repo, base, head, url)
    assert done.code == 0, done.summary
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT repository, mode, phase, head_sha, decision, risk_level, environment, record "
            "FROM cicd_agent_decisions"
        ).fetchone()
    assert row is not None
    repository, mode, phase, sha, decision, level, environment, record = row
    assert (repository, mode, phase, sha, environment) == (
        "acme/shop", "deploy-gate", "deploy", head, "production"
    )
    assert decision == done.outputs["recommendation"]
    assert level == done.outputs["risk_level"]
    assert record["verdict"]["requires_approval"] == (done.outputs["requires_approval"] == "true")
    assert "not recorded" not in done.summary


def test_a_database_that_is_down_never_fails_the_gate(tmp_path, change) -> None:  # type: ignore[no-untyped-def]
    repo, base, head = change
    url = f"postgresql://gate:hunter2-secret@127.0.0.1:{free_port()}/audit"
    for name in ("down", "none"):
        (tmp_path / name).mkdir()
    recorded = _deploy(tmp_path / "down", repo, base, head, url)
    baseline = _deploy(tmp_path / "none", repo, base, head, "")
    assert recorded.code == baseline.code == 0
    for key in ("recommendation", "risk_level", "strategy", "requires_approval"):
        assert recorded.outputs[key] == baseline.outputs[key]
    assert "The decision was not recorded in the audit database" in recorded.summary
    everything = recorded.summary + recorded.stdout + recorded.stderr + recorded.outputs_text
    shown = [line for line in everything.splitlines() if not line.startswith("::add-mask::")]
    assert "::add-mask::hunter2-secret" in everything  # the runner stars it out of the log
    assert not [line for line in shown if "hunter2-secret" in line]


def test_a_url_that_is_not_postgresql_is_a_usage_error_that_does_not_echo_it(
    tmp_path, change
) -> None:  # type: ignore[no-untyped-def]
    repo, base, head = change
    done = _deploy(tmp_path, repo, base, head, "mysql://gate:hunter2@db/audit")
    assert done.code == 2
    assert "PostgreSQL URL" in done.summary + done.stdout


def test_a_review_verdict_lands_in_the_database(
    tmp_path, change, postgres_server: PostgresServer
) -> None:  # type: ignore[no-untyped-def]
    repo, base, head = change
    url = postgres_server.database("review_verdict")
    argv = ["review", "--provider", "none", "--repo", str(repo.path), "--base", base,
            "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"INPUT_AUDIT-DATABASE-URL": url})
    assert done.code == 0, done.summary
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT phase, decision, risk_level, head_sha, record FROM cicd_agent_decisions"
        ).fetchone()
    assert row is not None
    phase, decision, level, sha, record = row
    assert (phase, decision, level, sha) == (
        "review", done.outputs["decision"], done.outputs["risk_level"], head
    )
    assert len(record["findings"]) == int(done.outputs["findings_count"]) or record["findings"]


def test_a_canary_verdict_lands_in_the_database_with_each_metric(
    tmp_path, postgres_server: PostgresServer, prometheus_server
) -> None:  # type: ignore[no-untyped-def]
    import json

    from tests.modes.deploy_gate.helpers.canary import scenario_config

    url = postgres_server.database("canary_verdict")
    argv = [
        "deploy-gate", "--phase", "canary", "--provider", "none",
        "--prometheus-url", prometheus_server.url,
        "--canary-config", scenario_config("latency_up30").model_dump_json(exclude_defaults=True),
        "--canary-end", str(prometheus_server.end), "--risk-level", "high",
    ]  # fmt: skip
    environ = {
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_SHA": "f" * 40,
        "INPUT_PROMETHEUS-USERNAME": prometheus_server.username,
        "CICD_AGENT_INPUTS": json.dumps({
            "prometheus-password": prometheus_server.password,
            "audit-database-url": url,
        }),
    }  # fmt: skip
    done = run_cli(argv, tmp_path, environ)
    assert done.code == 0, done.summary
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT phase, decision, head_sha, risk_level, record FROM cicd_agent_decisions"
        ).fetchone()
    assert row is not None
    phase, decision, sha, level, record = row
    assert (phase, decision, sha, level) == ("canary", done.outputs["verdict"], "f" * 40, "high")
    assert {metric["name"] for metric in record["metrics"]} == {"latency", "errors"}
