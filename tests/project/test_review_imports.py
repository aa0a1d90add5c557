"""What importing review's wiring loads: what a review run uses, and nothing it does not.

Each check runs in a fresh interpreter (this one has long since imported everything). The
modules are named, not timed: a figure moves with the machine's load, a module set does not.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.action_runner import parse_github_output

REVIEW = "cicd_agent.modes.review.mode"

NOT_FOR_REVIEW = (
    # deploy-gate's fitting (scipy only when it fits), the SDKs of other modes and the model
    "numpy", "scipy", "sklearn", "openai", "github", "tiktoken",
    # posting only: the Markdown parser and the renderer that checks what a post shows
    "markdown_it", "cmarkgfm",
    # the build's tree export
    "tarfile",
    # the validation library: review's result, findings, risk and usage are dataclasses; the
    # event file's views, a model's answers, the fork hand-off's file and the model settings
    # are validated where they are read
    "pydantic", "pydantic_core",
)  # fmt: skip


def loaded_by_review() -> list[str]:
    """Every module in ``sys.modules`` once review's wiring is imported in a fresh interpreter."""
    probe = f"import sys, {REVIEW}\nprint(sorted(sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return list(ast.literal_eval(completed.stdout.strip().splitlines()[-1]))


def test_review_loads_no_package_a_review_run_does_not_use() -> None:
    loaded = set(loaded_by_review())
    assert sorted(m for m in NOT_FOR_REVIEW if m in loaded) == []


OFFLINE_RUN = """\
import json, sys
from cicd_agent.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted(sys.modules)}))
"""
"""A whole review run in a fresh interpreter: the console script's own path (flags, settings,
the run's event, the mode's steps, outputs and summary), then what it loaded."""

NOT_FOR_AN_OFFLINE_RUN = (
    # the validation library: the model's settings are validated only when one is given
    "pydantic", "pydantic_core",
    # the SDKs: a model's, a token's; and the audit database's module, which reads the
    # password of an option's URL only when there is one
    "openai", "tiktoken", "github", "cicd_agent.local.audit_db",
)  # fmt: skip


@pytest.mark.parametrize("provider", [["--provider", "none"], []], ids=["none", "default"])
def test_an_offline_review_run_loads_nothing_it_does_not_use(
    tmp_path: Path, provider: list[str]
) -> None:
    """Not only the wiring's import: a whole review with no model (``--provider none``, or no
    key: the default) never validates the model's settings, so it never loads pydantic. A run
    given an event file does: the payload's views are validated where they are read."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def f():\n    return 1\n"})
    head = repo.commit("change", {"src/app.py": "import pdb\ndef f():\n    pdb.set_trace()\n"})
    output = tmp_path / "output"
    output.write_text("")
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "RUNNER_TEMP": str(tmp_path),
               "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}  # fmt: skip
    argv = ["review", "--repo", str(repo.path), "--base", base, "--head", head, *provider]
    completed = subprocess.run(
        [sys.executable, "-c", OFFLINE_RUN, *argv],
        capture_output=True, text=True, check=True, env=environ, cwd=tmp_path,
    )  # fmt: skip
    run = json.loads(completed.stdout.strip().splitlines()[-1])
    assert run["code"] == 0, completed.stderr
    assert parse_github_output(output.read_text())["decision"] == "comment"  # it ran through
    assert sorted(set(NOT_FOR_AN_OFFLINE_RUN) & set(run["loaded"])) == []
