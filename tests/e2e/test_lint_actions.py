"""action.yml and the example workflows pass GitHub's schemas and zizmor's security audits.

Why in the test suite: users copy the examples as they are, and a schema error in action.yml only
shows when a workflow first uses the action. Both linters run offline from the virtualenv.
The last two tests feed the same wiring a broken action and an injectable workflow, so a linter
that silently audits nothing (zizmor skips directories without ``.github/workflows``) is caught.
"""

from __future__ import annotations

import os
import subprocess
import sysconfig
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

REPO_ROOT = REPO_ROOT
ACTION = REPO_ROOT / "action.yml"
WORKFLOWS_DIR = REPO_ROOT / "examples" / "workflows"
BIN = Path(sysconfig.get_path("scripts"))

# With a token in its environment zizmor goes online (and fails without internet).
_TOKEN_VARIABLES = {"GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN"}


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name not in _TOKEN_VARIABLES}
    return subprocess.run(
        [str(arg) for arg in args], capture_output=True, text=True, env=env, timeout=120
    )


def check_jsonschema(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return _run(BIN / "check-jsonschema", "--builtin-schema", schema, *files)


def zizmor(files: list[Path]) -> subprocess.CompletedProcess[str]:
    """zizmor over explicit files: given a directory it only collects ``.github/workflows``."""
    return _run(BIN / "zizmor", "--offline", "--no-progress", "--color", "never", *files)


def workflows(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")])


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def _real_workflows() -> list[Path]:
    found = workflows(WORKFLOWS_DIR)
    assert found, f"no example workflows in {WORKFLOWS_DIR}"
    return found


def test_action_yml_matches_the_github_actions_schema() -> None:
    assert ACTION.is_file(), f"{ACTION} is missing"

    result = check_jsonschema("vendor.github-actions", [ACTION])

    assert result.returncode == 0, _report(result)


def test_example_workflows_match_the_github_workflows_schema() -> None:
    result = check_jsonschema("vendor.github-workflows", _real_workflows())

    assert result.returncode == 0, _report(result)


def test_zizmor_reports_nothing_on_the_action_and_the_example_workflows() -> None:
    assert ACTION.is_file(), f"{ACTION} is missing"
    files = [ACTION, *_real_workflows()]

    result = zizmor(files)

    assert result.returncode == 0, _report(result)
    assert "No findings to report" in result.stdout, _report(result)
    for path in files:
        assert f"completed {path}" in result.stderr, f"zizmor did not audit {path}"


_BROKEN_ACTION = """\
name: broken
description: a composite step without shell
runs:
  using: composite
  steps:
    - run: echo hi
"""

_INJECTABLE_WORKFLOW = """\
name: injectable
on: pull_request
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""

_CLEAN_ACTION = """\
name: clean
description: a minimal composite action
runs:
  using: composite
  steps:
    - run: echo hi
      shell: bash
"""


def test_the_linters_reject_a_broken_action_and_an_injectable_workflow(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text(_BROKEN_ACTION)
    workflow = tmp_path / "workflows" / "injectable.yml"
    workflow.parent.mkdir()
    workflow.write_text(_INJECTABLE_WORKFLOW)

    schema = check_jsonschema("vendor.github-actions", [action])
    audit = zizmor(workflows(workflow.parent))

    assert schema.returncode == 1, _report(schema)
    assert "$.runs" in schema.stdout
    assert audit.returncode != 0, _report(audit)
    assert "template-injection" in audit.stdout


def test_the_linters_accept_a_minimal_clean_action(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text(_CLEAN_ACTION)

    assert check_jsonschema("vendor.github-actions", [action]).returncode == 0
    audit = zizmor([action])
    assert audit.returncode == 0, _report(audit)
    assert "No findings to report" in audit.stdout


def test_the_sandbox_is_prepared_exactly_when_a_mode_will_run_untrusted_code() -> None:
    """action.yml installs bubblewrap for gen-tests, for analyse-failure (whether it fixes is a
    setting, read later), for test-step (whose code may be a fork's: whose, it asks later) and
    for comment commands that may run gen-tests, read by GitHub's own expression engine (the
    other modes never pay for apt)."""
    import yaml

    from tests.harness.workflows import conditions

    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    (step,) = [s for s in steps if s.get("name") == "Sandbox (bubblewrap)"]
    cases = [
        ("gen-tests", "", "", True),
        ("analyse-failure", "", "", True),
        ("test-step", "", "", True),
        ("review", "pr", "", False),
        ("command", "", "", True),
        ("command", "", "review,ask", False),
        ("command", "", "review,gen-tests", True),
    ]
    contexts = [
        ({"runner": {"os": "Linux"}, "inputs": {"mode": m, "fix": f, "commands": c}}, {})
        for m, f, c, _ in cases
    ]
    assert conditions(step["if"], contexts) == [expected for *_, expected in cases]
