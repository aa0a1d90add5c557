"""``--json`` carries every step output's key and value (typed), in every mode, finished or
not: the README's promise, checked against the outputs file the same run wrote."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY, ModelServer
from tests.harness.payloads import REPO_ROOT
from tests.helpers.cli import json_mismatches, run_cli
from tests.helpers.review import answer, model_finding

EXAMPLE_LOGS = REPO_ROOT / "examples" / "logs" / "pytest-failure.zip"


def _project(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "VALUE = 1\n", "README.md": "# app\n"})
    head = repo.commit("Change", {"app.py": "VALUE = 2\nbreakpoint()\n"})
    return repo, base, head


def test_every_mode_s_json_is_its_step_outputs(tmp_path: Path) -> None:
    """... and every output a mode writes is declared in action.yml (an undeclared one is
    written by the step but never reaches the workflow)."""
    declared = set(yaml.safe_load((REPO_ROOT / "action.yml").read_text())["outputs"])
    repo, base, head = _project(tmp_path)
    local = ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none"]
    runs = {
        "review": ["review", *local, "--sarif-file", str(tmp_path / "r.sarif")],
        "deploy-gate": ["deploy-gate", *local, "--cache-dir", str(tmp_path / "cache")],
        "gen-tests": ["gen-tests", *local, "--source", "README.md"],
        "analyse-failure": ["analyse-failure", "--provider", "none", "--logs", str(EXAMPLE_LOGS)],
        "usage error": ["review", "--repo", str(tmp_path / "missing"), "--base", base],
    }
    for name, argv in runs.items():
        folder = tmp_path / name.replace(" ", "-")
        folder.mkdir()
        done = run_cli([*argv, "--json"], folder, {})
        assert done.code in (0, 2), (name, done.stderr)
        document = json.loads(done.stdout)
        assert done.outputs, name
        assert json_mismatches(document, done.outputs) == {}, name
        assert set(done.outputs) <= declared, (name, set(done.outputs) - declared)


def test_a_usage_error_s_json_error_is_the_output_with_its_fix(tmp_path: Path) -> None:
    done = run_cli(["review", "--repo", str(tmp_path / "missing"), "--base", "HEAD", "--json"],
                   tmp_path)  # fmt: skip
    assert done.code == 2
    assert json.loads(done.stdout)["error"] == done.outputs["error"]
    assert "does not exist" in done.outputs["error"]


# ----------------------------------------------------------------------- Attacks: --json parity
# Red team (``--json`` parity): a run that called a model costs fractions of a cent, and the
# ``cost_usd`` output is written with six decimals while ``--json`` carried the unrounded float,
# so the two disagreed on every model run (``0.000242`` against ``0.0002424``).


def test_a_model_runs_cost_is_the_same_in_json_and_the_step_output(
    tmp_path: Path, model_server: ModelServer
) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "VALUE = 1\n"})
    head = repo.commit("Change", {"app.py": "VALUE = 2\n"})
    model_server.answer(answer(model_finding("app.py", 1, "Value changed")), times=None)
    done = run_cli(
        ["review", "--repo", str(repo.path), "--base", base, "--head", head,
         "--provider", "openai", "--base-url", model_server.base_url, "--model", "gpt-4o-mini",
         "--sarif-file", str(tmp_path / "r.sarif"), "--json"],
        tmp_path, {"OPENAI_API_KEY": TEST_API_KEY},
    )  # fmt: skip
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    assert float(done.outputs["cost_usd"]) > 0  # a model was called and priced
    assert json_mismatches(document, done.outputs) == {}
