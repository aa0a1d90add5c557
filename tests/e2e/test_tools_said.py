"""Each mode, run with each external tool it starts missing, says so (issue 53): "could not run:
why, how to fix" in the summary and ``--json``, never a clean result. A tool that ran says
that too. (review's linters and zizmor: tests/modes/review/test_review_linters.py; the fix
step's fixers are the verifier's: tests/modes/analyse_failure/fix/.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.local import zizmor
from tests.fixtures.gentests_project.build import make_repo
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

FLOW = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"


def test_deploy_gate_says_zizmor_did_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"a.py": "x = 1\n"})
    head = repo.commit("CI", {".github/workflows/ci.yml": FLOW})
    argv = ["deploy-gate", "--provider", "none", "--json", "--repo", str(repo.path),
            "--base", base, "--head", head]  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    (tmp_path / "ran").mkdir()
    (tmp_path / "missing").mkdir()

    ran = run_cli(argv, tmp_path / "ran", env)
    monkeypatch.setattr(zizmor, "zizmor_binary", lambda: None)
    missing = run_cli(argv, tmp_path / "missing", env)

    assert ran.document is not None and missing.document is not None, missing.stderr
    assert ran.document["tools"] == [{"tool": "zizmor", "could_not_run": ""}]
    assert "- `zizmor`: ran" in ran.summary
    [tool] = missing.document["tools"]
    assert tool["tool"] == "zizmor" and "put zizmor on PATH" in tool["could_not_run"]
    assert "- `zizmor`: could not run: zizmor is not installed" in missing.summary


@needs_sandbox
def test_gen_tests_says_its_test_runner_ran_or_could_not(tmp_path: Path) -> None:
    base, head = make_repo(tmp_path / "shop")
    argv = ["gen-tests", "--provider", "none", "--json", "--repo", str(tmp_path / "shop"),
            "--base", base, "--head", head, "--test-command", "pytest -q"]  # fmt: skip

    ran = run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path)})
    (tmp_path / "off").mkdir()
    missing = run_cli(argv, tmp_path / "off", {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})

    assert ran.code == 0, ran.stdout
    assert (
        ran.document is not None
        and {"tool": "pytest -q", "could_not_run": ""} in (ran.document["tools"])
    )
    assert "- `pytest -q`: ran" in ran.summary
    assert missing.code == 2
    assert missing.document is not None
    error = missing.document["error"]
    assert "the test command `pytest -q` could not run" in error and "Install the project" in error
    assert "could not run" in missing.summary and "**How to fix:**" in missing.summary
