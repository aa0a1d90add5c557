"""The deploy phase's risk level, handed to the canary phase, sets how strict the canary is: on
the same canary data (a real Prometheus, a canary identical to its baseline), a docs change's
canary may promote after one window, a migration's keeps watching."""

from __future__ import annotations

import json
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.harness.prometheus_server import PrometheusServer
from tests.helpers.cli import run_cli
from tests.modes.deploy_gate.helpers.canary import scenario_config


def deploy_risk(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str) -> str:
    argv = ["deploy-gate", "--provider", "none", "--repo", str(repo.path), "--base", base,
            "--head", head, "--deploy-time", "2026-11-18T12:00:00+00:00"]  # fmt: skip
    done = run_cli(argv, tmp_path, {"RUNNER_TEMP": ""})
    assert done.code == 0
    return done.outputs["risk_level"]


def canary(tmp_path: Path, server: PrometheusServer, risk_level: str) -> dict[str, str]:
    environ = {
        "INPUT_PROMETHEUS-USERNAME": server.username,  # a setting: not one of the action's inputs
        "CICD_AGENT_INPUTS": json.dumps({"prometheus-password": server.password}),
    }
    argv = ["deploy-gate", "--phase", "canary", "--provider", "none", "--prometheus-url",
            server.url, "--canary-config",
            scenario_config("identical").model_dump_json(exclude_defaults=True),
            "--canary-end", str(server.end), "--risk-level", risk_level]  # fmt: skip
    done = run_cli(argv, tmp_path, environ)
    assert done.code == 0
    return done.outputs


def test_a_migration_gets_a_stricter_canary_than_a_docs_change(
    tmp_path: Path, prometheus_server: PrometheusServer
) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit(
        "Initial project",
        {"src/shop/orders.py": "def total(x):\n    return x\n", "README.md": "# shop\n"},
    )
    docs = repo.commit("Explain the shop", {"README.md": "# shop\n\nHow to run it.\n"})
    migration = repo.commit(
        "Add order status", {"src/shop/migrations/0002_order_status.py": "operations = []\n"}
    )
    levels = {}
    for name, (start, end) in {"docs": (base, docs), "migration": (docs, migration)}.items():
        (tmp_path / name).mkdir()
        levels[name] = deploy_risk(tmp_path / name, repo, start, end)
    assert levels["docs"] == "low"
    assert levels["migration"] in ("high", "critical")

    verdicts = {}
    for name, level in levels.items():
        (tmp_path / f"{name}-canary").mkdir()
        verdicts[name] = canary(tmp_path / f"{name}-canary", prometheus_server, level)["verdict"]
    assert verdicts == {"docs": "promote", "migration": "continue"}
