"""Red team (``--json`` parity): a run that called a model costs fractions of a cent, and the
``cost_usd`` output is written with six decimals while ``--json`` carried the unrounded float,
so the two disagreed on every model run (``0.000242`` against ``0.0002424``)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY, ModelServer
from tests.helpers.cli import json_mismatches, run_cli
from tests.helpers.review import answer, model_finding


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
