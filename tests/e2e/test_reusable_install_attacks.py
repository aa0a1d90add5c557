"""Attacks on reusable.yml's install steps, which run the pull request's code (its setup.py,
its package.json scripts) for gen-tests, test-step, review and build. The caller's ``install``
is run as written (the caller wrote it); ``setup`` and ``mode`` may come from somewhere less
trusted and must never reach a shell; no step that runs the install may hold a secret."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.harness.payloads import REPO_ROOT

REUSABLE = REPO_ROOT / "examples" / "workflows" / "reusable.yml"
INSTALL_STEP = "Install the project under test"


def _steps() -> list[dict[str, Any]]:
    job = yaml.safe_load(REUSABLE.read_text())["jobs"]["run"]
    return list(job["steps"])


def _agent() -> int:
    return next(i for i, step in enumerate(_steps()) if step.get("id") == "agent")


def test_attack_no_input_reaches_a_shell_but_install_through_its_variable() -> None:
    steps = _steps()
    shells = [step for step in steps if "run" in step]
    assert [step.get("name") for step in shells] == [INSTALL_STEP]
    for step in shells:
        assert "${{" not in step["run"], step["run"]  # an expression in a script is injection
    (install,) = shells
    assert install["run"] == 'bash -c "$INSTALL"'
    assert set(install["env"]) == {"INSTALL"} and "inputs.install" in install["env"]["INSTALL"]
    for step in steps:
        said = json.dumps({k: v for k, v in step.items() if k not in {"if", "with"}})
        assert "inputs.setup" not in said and "inputs.mode" not in said, step
        if step.get("id") != "agent":
            assert "inputs.mode" not in json.dumps(step.get("with", {})), step


def test_attack_no_step_up_to_the_agent_is_handed_a_secret() -> None:
    for step in _steps()[: _agent()]:
        given = json.dumps({"with": step.get("with", {}), "env": step.get("env", {})})
        assert "secrets." not in given and "github.token" not in given, step


BASH_STEP = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
"""How the runner starts a ``shell: bash`` step's script (the action's own steps)."""


def test_what_an_install_leaves_in_github_env_runs_in_every_later_bash_step(
    tmp_path: Path,
) -> None:
    """The mechanism behind the open attack below, on real bash: the runner adds each line a
    step appends to ``$GITHUB_ENV`` to the environment of every later step of the job, and a
    ``BASH_ENV`` there is a script bash runs first in each non-interactive shell, with that
    step's own environment (the action's step that runs cicd-agent holds the model's key)."""
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    leak = tmp_path / "leak"
    hook = tmp_path / "hook.sh"
    hook.write_text(f'printf %s "$OPENAI_API_KEY" > {leak}\n')
    pr_script = f'echo "BASH_ENV={hook}" >> "$GITHUB_ENV"'  # a postinstall of the PR's
    base = {"PATH": os.environ["PATH"], "GITHUB_ENV": str(github_env)}
    install = tmp_path / "install.sh"
    install.write_text(next(s["run"] for s in _steps() if s.get("name") == INSTALL_STEP))
    subprocess.run([*BASH_STEP, str(install)], env={**base, "INSTALL": pr_script}, check=True)
    later = dict(line.split("=", 1) for line in github_env.read_text().splitlines())
    step = tmp_path / "step.sh"
    step.write_text("true\n")
    subprocess.run(
        [*BASH_STEP, str(step)], env={**base, **later, "OPENAI_API_KEY": "sk-key"}, check=True
    )
    assert leak.read_text() == "sk-key"
