"""Every mode's publish step returns nothing and leaves the decided result as decide made it;
what it learns by posting reaches the outputs through the run's record, each output written
once: the decided ones before publish, the posted ones and ``error`` after it.

Each mode runs through the CLI on real inputs (git, log archives, an unreachable Prometheus),
with its publish step watched where the mode imports it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.job.pipeline import PlainResult
from tests.fixtures.gentests_project.build import make_repo
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import REPO_ROOT
from tests.helpers.cli import CliRun, json_mismatches, run_cli
from tests.helpers.gen_tests import path_env

LOGS = REPO_ROOT / "examples" / "logs" / "pytest-failure.zip"


def _review(tmp_path: Path) -> list[str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def main():\n    return 0\n"})
    head = repo.commit("change", {"src/app.py": "def main():\n    breakpoint()\n    return 1\n"})
    return ["review", "--repo", str(repo.path), "--base", base, "--head", head]


def _deploy(tmp_path: Path) -> list[str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/shop/orders.py": "X = 0\n"})
    head = repo.commit("orders", {"src/shop/orders.py": "X = 1\n"})
    return ["deploy-gate", "--repo", str(repo.path), "--base", base, "--head", head,
            "--deploy-time", "2026-11-18T12:00:00+00:00",
            "--audit-file", str(tmp_path / "audit.jsonl")]  # fmt: skip


def _canary(tmp_path: Path) -> list[str]:
    return ["deploy-gate", "--phase", "canary", "--prometheus-url", "http://127.0.0.1:9"]


def _failure(tmp_path: Path) -> list[str]:
    return ["analyse-failure", "--logs", str(LOGS)]


def _gen_tests(tmp_path: Path) -> list[str]:
    base, head = make_repo(tmp_path / "shop")
    return ["gen-tests", "--repo", str(tmp_path / "shop"), "--base", base, "--head", head]


MODES: dict[str, tuple[str, Callable[[Path], list[str]]]] = {
    # each wiring module imports its publish by name: it is watched there
    "review": ("cicd_agent.modes.review.mode", _review),
    "deploy-gate": ("cicd_agent.modes.deploy_gate.mode", _deploy),
    "deploy-gate canary": ("cicd_agent.modes.deploy_gate.canary.mode", _canary),
    "analyse-failure": ("cicd_agent.modes.analyse_failure.mode", _failure),
    "gen-tests": ("cicd_agent.modes.gen_tests.mode", _gen_tests),
}


def _watched_run(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[CliRun, list[tuple[dict[str, Any], dict[str, Any], object]]]:
    module_name, argv = MODES[mode]
    module = importlib.import_module(module_name)
    real = module.publish
    seen: list[tuple[dict[str, Any], dict[str, Any], object]] = []

    def watched(*args: Any) -> object:
        [result] = [arg for arg in args if isinstance(arg, PlainResult)]
        before = result.fields_json()
        returned = real(*args)
        seen.append((before, result.fields_json(), returned))
        return returned

    monkeypatch.setattr(module, "publish", watched)
    environ = {"PATH": path_env(), "HOME": str(tmp_path)}  # gen-tests runs the project's pytest
    done = run_cli([*argv(tmp_path), "--provider", "none", "--json"], tmp_path, environ)
    return done, seen


@pytest.mark.parametrize("mode", sorted(MODES))
def test_publish_returns_nothing_and_leaves_the_decided_result(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done, seen = _watched_run(mode, tmp_path, monkeypatch)

    assert done.code in (0, 3), done.stderr  # canary: Prometheus down is exit 3
    [(before, after, returned)] = seen
    assert returned is None
    assert after == before
    names = re.findall(r"^(\w+)<<", done.outputs_text, flags=re.MULTILINE)
    assert len(names) == len(set(names)), f"an output written twice: {names}"
    assert names[-1] == "error", "error is written after publish, with what posting learnt"
    assert done.document is not None
    assert not json_mismatches(done.document, done.outputs)


def test_what_publish_records_reaches_the_outputs_summary_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy-gate's audit file is known only once publish appended the record."""
    done, _ = _watched_run("deploy-gate", tmp_path, monkeypatch)

    assert done.code == 0, done.stderr
    audit = str(tmp_path / "audit.jsonl")
    assert Path(audit).is_file()
    assert done.outputs["audit_file"] == audit
    assert done.document is not None and done.document["audit_file"] == audit
    assert f"Audit record appended to `{audit}`." in done.summary
