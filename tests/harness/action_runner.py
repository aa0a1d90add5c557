"""Run ``action.yml`` the way the Actions runner runs a composite action.

Each step runs with its own ``shell``, the ``GITHUB_*``/``RUNNER_*`` environment a runner sets,
a fresh ``GITHUB_OUTPUT`` file per step and a shared ``GITHUB_STEP_SUMMARY``; ``${{ }}``
expressions are evaluated from the ``inputs``, ``github``, ``runner`` and ``steps`` contexts, and
the action's ``outputs:`` are resolved at the end. ``uses:`` steps are replaced by local
equivalents (setup-python → this interpreter, cache → nothing to do, its ``with:`` evaluated and
kept in :attr:`ActionRun.uses`, so a test can check what would be cached).

An expression this evaluator does not understand fails the run loudly: a wiring error in
``action.yml`` must fail a test, not pass as an empty string.

Setup steps are expensive (venv + pip install). A step whose fully rendered script and
environment equal one already run successfully in this process is replayed from memory.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACTION_DIR = Path(__file__).resolve().parents[2]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONTEXT_PATH = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")
TO_JSON = re.compile(r"^toJSON\(\s*([\w.-]+)\s*\)$", re.IGNORECASE)


class ActionError(AssertionError):
    """The action could not be run as written (bad expression, missing input, failing setup)."""


def parse_github_output(text: str) -> dict[str, str]:
    """Parse a ``$GITHUB_OUTPUT``/``$GITHUB_ENV`` file as the runner does."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ActionError(f"output {name!r}: delimiter {delimiter!r} never closed")
            index += 1
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def _lookup(contexts: dict[str, Any], path: str) -> Any:
    """Resolve a context path. A step output the step did not set is empty, as on the runner;
    anything else unknown (a misspelt step id or input) is an error."""
    parts = path.split(".")
    if len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs":
        step = contexts["steps"].get(parts[1])
        if step is None:
            raise ActionError(f"expression refers to unknown step {parts[1]!r} in {path!r}")
        return step["outputs"].get(parts[3], "")
    value: Any = contexts
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            raise ActionError(f"expression refers to unknown context {path!r}")
        value = value[part]
    return value


def evaluate(text: str, contexts: dict[str, Any]) -> str:
    """Substitute every ``${{ }}`` in ``text``; only the forms action.yml may use are allowed."""

    def substitute(match: re.Match[str]) -> str:
        expression = match.group(1)
        to_json = TO_JSON.match(expression)
        if to_json:
            return json.dumps(_lookup(contexts, to_json.group(1)), indent=2)
        if CONTEXT_PATH.match(expression):
            value = _lookup(contexts, expression)
            return "" if value is None else str(value)
        raise ActionError(f"unsupported expression ${{{{ {expression} }}}}")

    return EXPRESSION.sub(substitute, text)


@dataclass
class ActionRun:
    """What a workflow would see after the step: its outputs, summary, logs and exit code."""

    outputs: dict[str, str]
    summary: str
    log: str
    exit_code: int
    step_outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    uses: dict[str, dict[str, str]] = field(default_factory=dict)  # step name -> its ``with:``


class ActionRunner:
    """Drives ``action.yml`` from a checkout of this repository."""

    _memo: dict[str, tuple[dict[str, str], str]] = {}  # noqa: RUF012 - per-process replay cache
    _last: dict[tuple[str, str], str] = {}  # noqa: RUF012 - the last key each setup step ran with
    """Per setup step and runner temp folder, the key it last ran with: a step is replayed only
    when nothing ran it since with other inputs (the install with ``extras=core`` syncs the same
    venv exactly, removing the ``deploy`` extra a replayed ``extras=deploy`` install assumed)."""

    def __init__(self, runner_temp: Path, action_dir: Path = ACTION_DIR) -> None:
        self.action_dir = action_dir
        self.action = yaml.safe_load((action_dir / "action.yml").read_text())
        self.runner_temp = runner_temp
        runner_temp.mkdir(parents=True, exist_ok=True)

    def run(
        self,
        inputs: dict[str, str],
        *,
        workspace: Path,
        event_name: str,
        event_path: Path,
        env: dict[str, str] | None = None,
        github_token: str = "ghs_test_token_for_the_action_0000000000000",
    ) -> ActionRun:
        """Run every step; a failing step stops the run like the runner does."""
        github = {
            "token": github_token,
            "action_path": str(self.action_dir),
            "event_name": event_name,
            "workspace": str(workspace),
            "run_id": "4242",
            "run_attempt": "1",
            "job": "test",
            "ref_name": (env or {}).get("GITHUB_REF_NAME", "main"),
            "event": json.loads(event_path.read_text()) if event_path.is_file() else {},
            # The commit the run is for, as the runner sets it (action.yml's canary-release
            # input defaults to it).
            "sha": (env or {}).get("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
        }
        runner = {"temp": str(self.runner_temp), "os": "Linux"}
        contexts: dict[str, Any] = {"github": github, "runner": runner}
        contexts["inputs"] = self._resolve_inputs(inputs, contexts)
        contexts["steps"] = {}
        summary_path = self.runner_temp / f"summary-{os.getpid()}-{id(inputs)}.md"
        summary_path.write_text("")
        base_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(self.runner_temp)),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(self.action_dir),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_STEP_SUMMARY": str(summary_path),
            "RUNNER_TEMP": str(self.runner_temp),
            "RUNNER_OS": "Linux",
            **(env or {}),
        }
        log: list[str] = []
        uses: dict[str, dict[str, str]] = {}
        exit_code = 0
        for index, step in enumerate(self.action["runs"]["steps"]):
            step_id = step.get("id", f"__step{index}")
            if "uses" in step:
                outputs = self._uses(step)
                with_ = step.get("with", {})
                uses[step["name"]] = {k: evaluate(str(v), contexts) for k, v in with_.items()}
            else:
                outputs, code, output_text = self._run_step(step, contexts, base_env, workspace)
                log.append(output_text)
                if code != 0:
                    exit_code = code
                    contexts["steps"][step_id] = {"outputs": outputs}
                    break
            contexts["steps"][step_id] = {"outputs": outputs}
        action_outputs = (
            {
                name: evaluate(spec["value"], contexts)
                for name, spec in self.action.get("outputs", {}).items()
            }
            if exit_code == 0 or "run" in contexts["steps"]
            else {}
        )
        return ActionRun(
            outputs=action_outputs,
            summary=summary_path.read_text(),
            log="".join(log),
            exit_code=exit_code,
            step_outputs={k: v["outputs"] for k, v in contexts["steps"].items()},
            uses=uses,
        )

    def _resolve_inputs(self, given: dict[str, str], contexts: dict[str, Any]) -> dict[str, str]:
        declared = self.action.get("inputs", {})
        # As GitHub's runner: an input action.yml does not declare is passed on (with a warning
        # in the log), so the CLI sees, and refuses, an input that moved to the settings file.
        # It compares names without case and keeps the workflow's spelling (`Fail-On:`).
        spelled = {name.lower(): name for name in given}
        resolved = {name: value for name, value in given.items() if name.lower() not in declared}
        for name, spec in declared.items():
            if name in spelled:
                resolved[spelled[name]] = given[spelled[name]]
            elif spec.get("required") and "default" not in spec:
                raise ActionError(f"required input {name!r} not given")
            else:
                resolved[name] = evaluate(str(spec.get("default", "")), contexts)
        return resolved

    def _uses(self, step: dict[str, Any]) -> dict[str, str]:
        action = step["uses"].split("@", 1)[0]
        if action == "actions/setup-python":
            return {"python-path": sys.executable, "python-version": sys.version.split()[0]}
        if action in ("actions/cache", "actions/cache/restore"):
            return {"cache-hit": "false"}  # an empty cache: a new runner's first run
        if action == "actions/cache/save":
            return {}
        raise ActionError(f"no local stand-in for {step['uses']}")

    def _run_step(
        self,
        step: dict[str, Any],
        contexts: dict[str, Any],
        base_env: dict[str, str],
        workspace: Path,
    ) -> tuple[dict[str, str], int, str]:
        if step.get("shell") != "bash":
            raise ActionError(f"step {step.get('name')!r}: only shell: bash is used by this action")
        script = evaluate(step["run"], contexts)
        step_env = {k: evaluate(str(v), contexts) for k, v in step.get("env", {}).items()}
        memo_key = json.dumps([script, step_env, base_env.get("RUNNER_TEMP")], sort_keys=True)
        is_setup = (
            "inputs" not in json.dumps(step.get("env", {})) and "${{ inputs" not in step["run"]
        )
        slot = (str(step.get("name", step.get("id", ""))), str(base_env.get("RUNNER_TEMP")))
        if is_setup and memo_key in self._memo and self._last.get(slot) == memo_key:
            outputs, text = self._memo[memo_key]
            return outputs, 0, text
        if is_setup:
            self._last[slot] = memo_key
        output_file = self.runner_temp / f"output-{os.getpid()}-{len(self._memo)}-{id(step)}"
        output_file.write_text("")
        env = {**base_env, **step_env, "GITHUB_OUTPUT": str(output_file)}
        script_file = output_file.with_suffix(".sh")
        script_file.write_text(script)
        # The runner's bash invocation for `shell: bash`.
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        outputs = parse_github_output(output_file.read_text())
        text = completed.stdout + completed.stderr
        if completed.returncode == 0 and is_setup:
            self._memo[memo_key] = (outputs, text)
        return outputs, completed.returncode, text
